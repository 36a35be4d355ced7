#!/usr/bin/env bash
# The whole test suite from a fresh clone: installs what the tests need (npm packages, Debian
# packages, Redis if none answers), then lint, type check, build and vitest. Ends with one line
# "N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

check_node
apt_install prometheus prometheus-node-exporter prometheus-alertmanager redis-server redis-sentinel chromium \
  fonts-dejavu-core docker-compose python3-sklearn
# kubectl renders the Kubernetes manifests in their test; any kubectl on PATH will do (Debian's package
# would clash with one installed from elsewhere).
command -v kubectl >/dev/null 2>&1 || apt_install kubernetes-client
npm_install

# Tests use the Redis on REDIS_URL (default 127.0.0.1:6379); start a throwaway one if none answers.
redis_port=6379
if ! redis-cli -p "$redis_port" ping >/dev/null 2>&1; then
  redis_port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
  log "no Redis on 6379: starting one on port $redis_port for the tests"
  redis_dir=$(mktemp -d)
  redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --dir "$redis_dir" --daemonize yes \
    --pidfile "$redis_dir/redis.pid" --logfile "$redis_dir/redis.log"
  trap 'kill "$(cat "$redis_dir/redis.pid")" 2>/dev/null || true' EXIT
  for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
fi
export REDIS_URL="redis://127.0.0.1:$redis_port"

log "lint"
npx biome check .
log "type check"
npm run --silent typecheck
log "layering (dependency-cruiser)"
npm run --silent depcruise
log "build"
npm run --silent build
log "docker-compose.yml"
docker-compose -f docker-compose.yml config -q
log "prometheus rules and config"
promtool check rules prometheus/rules/*.yml
promtool check config --syntax-only prometheus/prometheus.yml

log "tests"
report=$(mktemp)
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" || status=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const skipped = (r.numPendingTests || 0) + (r.numTodoTests || 0);
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
' "$report" || { echo "0 passed, 1 failed"; status=1; }
exit "$status"
