#!/bin/bash
# `redis-server …` as the compose file gives it, with protected mode off: Debian's build keeps
# Redis' default (on), which refuses clients from other hosts when no password is set.
set -euo pipefail
if [ "${1:-}" = redis-server ]; then
  shift
  exec redis-server "$@" --protected-mode no
fi
exec "$@"
