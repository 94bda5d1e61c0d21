#!/usr/bin/env bash
# End-to-end tests with clients cognate did not write: amazon-cognito-identity-js, aws-amplify (Auth, Storage)
# and @aws-sdk/client-sts (Node), pycognito and boto3 (Python), against a freshly started server.
# E2E_JS=js/one.test.mjs runs one JavaScript file.
# Usage: e2e/run.sh [path/to/cognate]   (default: target/debug/cognate)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$(realpath "${1:-target/debug/cognate}")
port=${E2E_PORT:-19231}
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT

echo "== installing the clients"
(cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
venv=${E2E_VENV:-$HOME/.cache/cognate-e2e-venv}
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/python/requirements.txt"

echo "== starting cognate on port $port"
# The default bucket is the dotted one the storage test removes a folder from (aws-amplify sends
# that DeleteObjects without the bucket).
"$bin" serve --listen "127.0.0.1:$port" --https-listen "127.0.0.1:$((port + 1))" --data-dir "$work/data" \
  --s3-default-bucket storageapp.dotted >"$work/serve.out" 2>"$work/serve.log" &
server=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
export COGNATE_ENDPOINT="http://127.0.0.1:$port"
# The HTTPS listener, trusted through the development CA in the data directory, as a developer
# would trust it in Node.
export COGNATE_HTTPS_ENDPOINT="https://localhost:$((port + 1))" NODE_EXTRA_CA_CERTS="$work/data/tls/ca.pem"
export AWS_ACCESS_KEY_ID=$(awk -F' = ' '/aws_access_key_id/ {print $2}' "$work/data/credentials")
export AWS_SECRET_ACCESS_KEY=$(awk -F' = ' '/aws_secret_access_key/ {print $2}' "$work/data/credentials")
export AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
# For the client-config test, which runs the toolchain against this server.
export COGNATE_BIN="$bin" COGNATE_CREDENTIALS_FILE="$work/data/credentials"

status=0
echo "== JavaScript: amazon-cognito-identity-js and aws-amplify"
(cd "$here" && node --test ${E2E_JS:-js/}) || status=1
echo "== Python: pycognito"
"$venv/bin/python" -m pytest -q "$here/python" || status=1
if [ "$status" != 0 ]; then
  echo "== server log (last 40 lines)"
  tail -n 40 "$work/serve.log"
fi
exit "$status"
