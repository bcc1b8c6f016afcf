#!/usr/bin/env bash
# Installs the local services the tests and the demo run against, into .tools/ (idempotent):
#   - moto server, the AWS API emulator, in a Python virtualenv (.tools/venv)
#   - Prism, the OpenAPI validating proxy, for the DigitalOcean test double (.tools/node_modules)
# Prints nothing on success but what the installers print.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tools="$root/.tools"
mkdir -p "$tools"

MOTO_VERSION="${MOTO_VERSION:-5.1.*}"
PRISM_VERSION="${PRISM_VERSION:-5}"

if [ ! -x "$tools/venv/bin/moto_server" ]; then
  python3 -m venv "$tools/venv"
  "$tools/venv/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
fi

if [ ! -x "$tools/node_modules/.bin/prism" ]; then
  npm install --silent --no-audit --no-fund --prefix "$tools" "@stoplight/prism-cli@$PRISM_VERSION" >/dev/null
fi
