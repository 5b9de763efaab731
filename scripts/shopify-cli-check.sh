#!/usr/bin/env bash
# Offline check of the Shopify CLI project files with Shopify's own CLI.
#
# `shopify app build` loads shopify.app.toml and shopify.web.toml, validates
# them against the CLI's own schemas (types and required fields: a webhook
# subscription without `uri`, `embedded = "yes"`...) and then runs the web's
# build command, all without a Partner login or the network. What it cannot do
# offline: `app config validate`, `app info`, `app deploy` and `app dev` all
# need a Partner login (device authorization at accounts.shopify.com), so the
# server-side checks (client_id exists, scopes are grantable, URLs allowed)
# happen only on a developer's machine (docs/SHOPIFY.md).
#
# The CLI needs Node >= 22.12: it runs on the npm registry's node@22 whatever
# the machine's Node is. It is installed into a scratch folder, not the project
# (52 MB, and its engines would warn on every Node 20 install).
set -euo pipefail
cd "$(dirname "$0")/.."
SHOPIFY_CLI_VERSION="${SHOPIFY_CLI_VERSION:-4.8.2}"
cli_dir="$(mktemp -d)"
trap 'rm -rf "$cli_dir"' EXIT
npm install --prefix "$cli_dir" --no-audit --no-fund --silent "@shopify/cli@$SHOPIFY_CLI_VERSION" >/dev/null
SHOPIFY_CLI_NO_ANALYTICS=1 npx -y node@22 "$cli_dir/node_modules/@shopify/cli/bin/run.js" \
  app build --path "$PWD" --skip-dependencies-installation
echo "shopify app build: shopify.app.toml and shopify.web.toml pass the Shopify CLI $SHOPIFY_CLI_VERSION's validation"
