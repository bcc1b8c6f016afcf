#!/usr/bin/env bash
# The demo: brings up the AWS API emulator (moto server) on a loopback port, then runs
# plan → apply → plan (no changes) → cost on plans/example, environment `demo`.
# Everything stays on this machine; the state is state/example/demo.tfstate.json (destroyed at the end).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
echo "==> the emulators (installed into .tools/ on first use)" >&2
scripts/tools.sh
echo "==> cargo build --bin infra (a cold build compiles the AWS SDK: about 15 minutes on 2 cores)" >&2
cargo build --bin infra
infra="$root/target/debug/infra"

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
MOTO_IAM_LOAD_MANAGED_POLICIES=true "$root/.tools/venv/bin/moto_server" -H 127.0.0.1 -p "$port" >/dev/null 2>&1 &
moto=$!
trap 'kill $moto 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done

export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo AWS_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true INFRA_POLL_INTERVAL_MS=100
export TF_VAR_api_token="demo-token-$(date +%s)"
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

step infra -C plans/example plan --env demo
"$infra" -C plans/example plan --env demo
step infra -C plans/example apply --env demo --auto-approve
"$infra" -C plans/example apply --env demo --auto-approve
step infra -C plans/example plan --env demo --detailed-exitcode
"$infra" -C plans/example plan --env demo --detailed-exitcode
echo "(exit code 0: no changes)"
step infra -C plans/example cost --env demo
"$infra" -C plans/example cost --env demo
step infra -C plans/example destroy --env demo --auto-approve
"$infra" -C plans/example destroy --env demo --auto-approve
