# syntax=docker/dockerfile:1
# Multi-stage image. Its steps are scripts/production-install.sh, which CI runs
# on a clean clone without Docker (install, build, prune, migrate, start, entries).
#
#   docker build -t embedded-sessions-app .
#   docker run --rm -e DATABASE_URL=… [secrets…] embedded-sessions-app npm run db:migrate   # release step
#   docker run -p 3000:3000 -e DATABASE_URL=… [secrets…] embedded-sessions-app
#
# Node 22 LTS (24 is tested as well: see README, "Supported Node versions").
ARG NODE_VERSION=22

# --- build: every dependency, the Remix build, then only production dependencies kept
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY . .
RUN bash scripts/production-install.sh build

# --- runtime: production dependencies, the build, and what migrations need
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production PORT=3000
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json /app/package-lock.json /app/server.js /app/tsconfig.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/build ./build
COPY --from=build --chown=node:node /app/public ./public
# `npm run db:migrate` (tsx) reads the migrations and the database code from source.
COPY --from=build --chown=node:node /app/supabase ./supabase
COPY --from=build --chown=node:node /app/scripts ./scripts
COPY --from=build --chown=node:node /app/app/lib ./app/lib
# The official image's unprivileged user.
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "server.js"]
