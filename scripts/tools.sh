#!/usr/bin/env bash
# Installs the local services the tests and the demo run against, into .tools/ (idempotent):
#   - moto server, the AWS API emulator, in a Python virtualenv (.tools/venv)
#   - Prism, the OpenAPI validating proxy, for the DigitalOcean test double (.tools/node_modules)
#   - with --postgres: a PostgreSQL server (Debian's postgresql package) for the pg state backend tests,
#     when absent
#   - with --checkov: checkov (PyPI), a reader of Terraform's JSON plan format, in its own virtualenv
#     (.tools/checkov), for the test that feeds it infra's JSON plan
# Says what it installs; prints nothing when everything is there.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tools="$root/.tools"
mkdir -p "$tools"

MOTO_VERSION="${MOTO_VERSION:-5.1.*}"
CHECKOV_VERSION="${CHECKOV_VERSION:-3.3.*}"
PRISM_VERSION="${PRISM_VERSION:-5}"

postgres=false
checkov=false
for arg in "$@"; do
  case "$arg" in
    --postgres) postgres=true ;;
    --checkov) checkov=true ;;
    *) echo "usage: scripts/tools.sh [--postgres] [--checkov]" >&2; exit 2 ;;
  esac
done

if [ ! -x "$tools/venv/bin/moto_server" ]; then
  echo "==> installing moto server (the AWS API emulator, PyPI moto[server]) into .tools/venv" >&2
  python3 -m venv "$tools/venv"
  "$tools/venv/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
fi

if [ ! -x "$tools/node_modules/.bin/prism" ]; then
  echo "==> installing Prism (npm @stoplight/prism-cli) into .tools/node_modules" >&2
  npm install --silent --no-audit --no-fund --prefix "$tools" "@stoplight/prism-cli@$PRISM_VERSION" >/dev/null
fi

if $checkov && [ ! -x "$tools/checkov/bin/checkov" ]; then
  echo "==> installing checkov (PyPI), a reader of Terraform's JSON plan format, into .tools/checkov" >&2
  python3 -m venv "$tools/checkov"
  "$tools/checkov/bin/pip" install --quiet --disable-pip-version-check "checkov==$CHECKOV_VERSION"
fi

# The pg backend tests start their own server from Debian's binaries (initdb, postgres).
if $postgres && [ -z "${INFRA_PG_BIN:-}" ] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  sudo=""
  if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then sudo="sudo -n"; fi
  if command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" = 0 ] || [ -n "$sudo" ]; }; then
    echo "==> installing PostgreSQL (Debian package postgresql) for the pg backend tests" >&2
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get install -y -q postgresql >/dev/null 2>&1 || { $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q postgresql >/dev/null; }
  else
    echo "PostgreSQL is not installed: run 'sudo apt-get install -y postgresql' (the pg backend tests need its server binaries)" >&2
    exit 1
  fi
fi
