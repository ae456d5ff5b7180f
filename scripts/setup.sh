#!/usr/bin/env bash
# Brings a fresh machine to where K2S runs and its tests pass: Node packages, redis-server, the
# Java + Maven the test suite's Kafka broker needs, and Chromium for the console's browser tests. With --local-redis it also starts a Redis on
# 127.0.0.1:6379 when none answers there (what `npm start` uses by default). Without it, for the
# test suite's compose test, it also makes a Docker engine answer (scripts/start-docker.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi
}

missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || missing+=(maven)
# The web console's browser tests drive Debian's Chromium (test/harness/console-stack.ts).
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing ${missing[*]} with apt-get..."
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
fi

# npm ci only when node_modules is missing or was installed from another package-lock.json.
lock_hash="$(sha256sum package-lock.json | cut -d' ' -f1)"
stamp=node_modules/.k2s-package-lock.sha256
if [ ! -d node_modules ] || [ "$(cat "$stamp" 2>/dev/null)" != "$lock_hash" ]; then
  bash scripts/install-locked.sh
  echo "$lock_hash" >"$stamp"
fi

if [ "${1:-}" = "--local-redis" ] && ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "Starting redis-server on 127.0.0.1:6379 (append-only file in .cache/redis)"
  mkdir -p .cache/redis
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --appendonly yes --dir "$PWD/.cache/redis" --logfile "$PWD/.cache/redis/redis.log"
fi

# The compose test's Docker engine: the test suite's, not K2S' own need.
if [ "${1:-}" != "--local-redis" ]; then
  bash scripts/start-docker.sh || echo "No Docker engine: the compose test (test/compose/) is skipped, and fails on CI."
fi
