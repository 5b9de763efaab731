#!/usr/bin/env bash
# The production install, as one script: the Dockerfile runs its stages and
# CI runs all of it on a clean clone (no Docker), so the steps in README.md and
# docs/DEPLOY.md are the steps that are tested.
#
#   scripts/production-install.sh build     install (dev dependencies included: the build needs them),
#                                           build, then prune to production dependencies
#   scripts/production-install.sh migrate   apply pending migrations to DATABASE_URL (the release step)
#   scripts/production-install.sh smoke     against a scratch PostgreSQL database: migrate, start with
#                                           NODE_ENV=production, /healthz 200, one Commerce7 entry and one
#                                           Shopify entry against loopback stand-ins, stop
#   scripts/production-install.sh all       build, then smoke (what CI runs)
#
# smoke needs SMOKE_DATABASE_URL: a PostgreSQL server where it may create and
# drop a database (default postgres://postgres@127.0.0.1:5432/postgres).
set -euo pipefail
cd "$(dirname "$0")/.."

build() {
  # --include=dev: with NODE_ENV=production in the environment npm ci would
  # skip the build tools (remix, typescript) and `npm run build` would fail.
  npm ci --include=dev --no-audit --no-fund
  npm run build
  npm prune --omit=dev --no-audit --no-fund
  # The pruned tree must be complete: a missing production dependency fails here, not at the first request.
  npm ls --omit=dev --depth=0 >/dev/null
}

migrate() {
  : "${DATABASE_URL:?DATABASE_URL must name the production database}"
  npm run db:migrate
}

smoke() {
  node scripts/production-smoke.mjs
}

case "${1:-all}" in
  build) build ;;
  migrate) migrate ;;
  smoke) smoke ;;
  all) build && smoke ;;
  *) echo "usage: $0 [build|migrate|smoke|all]" >&2; exit 2 ;;
esac
