# syntax=docker/dockerfile:1
# One image for the bot (`node dist/cli.js start`, the default command, HTTP on PORT 3000) and the
# anomaly workers (`node dist/cli.js worker`, /healthz and /readyz on WORKER_HEALTH_PORT 3001).
#
#   deps       every dependency (npm ci), to build with
#   build      TypeScript -> dist/, plus the web console's static files (npm run build)
#   prod-deps  production dependencies only (npm ci --omit=dev): what the runtime copies
#   runtime    node:20 slim + DejaVu fonts (charts) + prod-deps' node_modules + dist/, run as `node`
#
# Dependency layers are rebuilt only when package.json or package-lock.json change.
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

FROM ${NODE_IMAGE} AS base
WORKDIR /app
# No install-time telemetry (swagger-ui-dist pulls in @scarf/scarf) and no npm update notices.
ENV SCARF_ANALYTICS=false DO_NOT_TRACK=1 NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false

FROM base AS deps
COPY package.json package-lock.json ./
RUN npm ci

FROM deps AS build
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/copy-assets.mjs scripts/
COPY src src
RUN npm run build

FROM base AS prod-deps
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

FROM base AS runtime
RUN apt-get update && apt-get install -y --no-install-recommends fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
# A container is reached through its published port, so it listens on every interface; the bot then
# refuses to start without API_TOKENS (or an explicit AUTH=none). The worker's port serves only
# /healthz and /readyz.
ENV NODE_ENV=production PORT=3000 HOST=0.0.0.0 WORKER_HEALTH_PORT=3001
# Owned by root and read-only to the user the processes run as.
COPY package.json ./
COPY --from=prod-deps /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY scripts/docker-healthcheck.mjs scripts/
# ALERT_ROUTES_FILE=examples/alert-routes.yml works as shipped; mount your own routes file elsewhere.
COPY examples examples
USER node
EXPOSE 3000 3001
# The bot's /healthz on PORT, or the worker's on WORKER_HEALTH_PORT, whichever this container runs.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "scripts/docker-healthcheck.mjs"]
CMD ["node", "dist/cli.js", "start"]
