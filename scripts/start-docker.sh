#!/usr/bin/env bash
# For the compose test (test/compose/): makes sure a Docker engine answers, `docker-compose` exists and
# `debootstrap` is there to build the test images' root filesystem. Installs Debian's docker.io,
# docker-compose and debootstrap when missing, and starts dockerd when no engine answers:
#   dockerd --iptables=false --bridge=none --ip-forward=false
# The compose test needs no more: its containers sit on internal networks that the host reaches
# directly, and its builds use the host's network. So dockerd leaves the host's firewall alone, makes
# no default bridge, and does not turn on routing (a container cannot send beyond this machine).
# Needs root (or sudo without a password); exits non-zero, saying why, when it cannot.
set -euo pipefail

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi
}

missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v docker-compose >/dev/null || missing+=(docker-compose)
command -v debootstrap >/dev/null || missing+=(debootstrap)
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing ${missing[*]} with apt-get..."
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null
fi

if docker info >/dev/null 2>&1; then exit 0; fi

log=/var/log/k2s-dockerd.log
echo "Starting dockerd (log: $log)"
as_root bash -c "setsid nohup dockerd --iptables=false --bridge=none --ip-forward=false >>$log 2>&1 </dev/null &"
for _ in $(seq 60); do
  if docker info >/dev/null 2>&1; then exit 0; fi
  sleep 1
done
echo "dockerd did not answer within 60 s; the end of $log:" >&2
tail -20 "$log" >&2 || true
exit 1
