#!/usr/bin/env bash
# Installs exactly the package versions package-lock.json names: `npm ci`, or, when npm ci refuses a
# lock file only because the registry now serves other optional platform builds (it began serving
# msgpackr-extract's darwin and win32 builds after our lock was written), `npm install` checked
# package by package against the committed lock, which is kept as it is. Extra arguments go to npm
# (the Dockerfile passes --omit=dev). Used by scripts/setup.sh and the Dockerfile.
set -euo pipefail
cd "$(dirname "$0")/.."

# npm has exited 0 with packages missing ("Exit handler never called!", when every download failed
# on a certificate it did not trust): the tree is checked before it counts as installed.
verify() {
  if npm ls --all "$@" >/dev/null 2>&1; then return 0; fi
  echo "npm reported success, but node_modules does not match package-lock.json:" >&2
  npm ls --all "$@" 2>&1 | grep -E 'missing|invalid|ERR' | head -20 >&2
  return 1
}

if npm ci --no-audit --no-fund "$@" </dev/null; then verify "$@"; exit; fi

echo "npm ci refused package-lock.json; installing the same locked versions with npm install"
cp package-lock.json .k2s-committed-lock.json
trap 'mv -f .k2s-committed-lock.json package-lock.json' EXIT
npm install --no-audit --no-fund "$@" </dev/null
verify "$@"
node scripts/same-locked-versions.mjs .k2s-committed-lock.json package-lock.json
