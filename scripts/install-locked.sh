#!/usr/bin/env bash
# Installs exactly the package versions package-lock.json names: `npm ci`, or, when npm ci refuses a
# lock file only because the registry now serves other optional platform builds (it began serving
# msgpackr-extract's darwin and win32 builds after our lock was written), `npm install` checked
# package by package against the committed lock, which is kept as it is. Extra arguments go to npm
# (the Dockerfile passes --omit=dev). Used by scripts/setup.sh and the Dockerfile.
set -euo pipefail
cd "$(dirname "$0")/.."

if npm ci --no-audit --no-fund "$@" </dev/null; then exit 0; fi

echo "npm ci refused package-lock.json; installing the same locked versions with npm install"
cp package-lock.json .k2s-committed-lock.json
trap 'mv -f .k2s-committed-lock.json package-lock.json' EXIT
npm install --no-audit --no-fund "$@" </dev/null
node scripts/same-locked-versions.mjs .k2s-committed-lock.json package-lock.json
