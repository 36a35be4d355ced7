#!/usr/bin/env bash
# One command from a fresh clone to a running bot: installs what is missing, starts the local stack
# (Redis, Prometheus, node_exporter, Alertmanager on 127.0.0.1) and the bot with its web console.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

check_node
apt_install prometheus prometheus-node-exporter prometheus-alertmanager redis-server fonts-dejavu-core
npm_install
log "building"
npm run --silent build
log "starting the local stack"
node dist/cli.js stack up
# The stack's Alertmanager sends the webhook token it made; the bot reads the same file.
if [ -z "${ALERTMANAGER_WEBHOOK_TOKEN:-}" ]; then
  export ALERTMANAGER_WEBHOOK_TOKEN_FILE="${ALERTMANAGER_WEBHOOK_TOKEN_FILE:-${CLOUDOPS_HOME:-.cloudops}/config/webhook-token}"
fi
log "starting the bot: console at http://localhost:${PORT:-3000}/ (Ctrl-C stops the bot; 'npx cloudops stack down' stops the stack)"
exec node dist/cli.js start
