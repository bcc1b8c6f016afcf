#!/usr/bin/env bash
# Runs every test of the workspace: unit tests, the engine's plan/apply tests, the provider tests against
# the AWS API emulator (moto server) and the DigitalOcean test double behind Prism, and the end-to-end tests
# of the `infra` binary. Installs the local services first (scripts/tools.sh).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
scripts/tools.sh --postgres --checkov
export INFRA_TOOLS_DIR="$root/.tools"
export INFRA_DO_OPENAPI="${INFRA_DO_OPENAPI:-$root/../shared/digitalocean-openapi/digitalocean-v2.json}"
echo "==> cargo fmt --check" >&2
cargo fmt --all -- --check
echo "==> cargo test --workspace --all-targets (a cold build compiles the AWS SDK: about 15 minutes on 2 cores)" >&2
cargo test --workspace --all-targets "$@"
