#!/usr/bin/env bash
# Runs every cognate-bench scenario against cognate, moto's server and cognito-local in one run,
# on this machine, at the same concurrency, then the large-pool checks on cognate alone, then the
# storage scenarios against cognate, moto and s3s-fs (bench/storage.sh), then the REST gateway
# against its upstream called directly (bench/rest.sh), and writes a markdown
# report (default bench/results.md).
#
#   bench/compare.sh [--seconds 10] [--concurrency 16] [--large-users 1000000] [--out FILE]
#
# Installs the peers into a temporary directory: moto[server] from PyPI, cognito-local from npm.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=10 concurrency=16 large_users=1000000 out=bench/results.md
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --concurrency) concurrency=$2; shift 2 ;;
    --large-users) large_users=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

echo "== building cognate and cognate-bench (release)"
cargo build --release -q -p cognate -p cognate-bench
bin=${CARGO_TARGET_DIR:-target}/release
bench=$bin/cognate-bench

echo "== installing moto[server] and cognito-local into $work"
python3 -m venv "$work/moto"
"$work/moto/bin/pip" install --quiet --disable-pip-version-check 'moto[server]'
mkdir -p "$work/cognito-local"
(cd "$work/cognito-local" && npm init -y >/dev/null && npm install --no-audit --no-fund --loglevel=error cognito-local >/dev/null)
moto_version=$("$work/moto/bin/pip" show moto | awk '/^Version/ {print $2}')
cl_version=$(node -p "require('$work/cognito-local/node_modules/cognito-local/package.json').version")

wait_for() { for _ in $(seq 100); do curl -s -o /dev/null "$1" && return 0; sleep 0.2; done; echo "no answer from $1" >&2; return 1; }

echo "== starting the three servers"
# Rate limits off: the load comes from one address, far faster than the defaults allow.
"$bin/cognate" serve --listen 127.0.0.1:19410 --https-listen off --data-dir "$work/cognate" --rate-limit-per-ip 0 --rate-limit-per-user 0 --max-connections-per-address 0 >"$work/cognate.log" 2>&1 &
pids+=($!)
"$work/moto/bin/moto_server" -p 19411 >"$work/moto.log" 2>&1 &
pids+=($!)
(cd "$work/cognito-local" && PORT=19412 exec node node_modules/cognito-local/lib/bin/start.js) >"$work/cognito-local.log" 2>&1 &
pids+=($!)
wait_for http://127.0.0.1:19410/healthz; wait_for http://127.0.0.1:19411/; wait_for http://127.0.0.1:19412/

key() { awk -F' = ' "/$1/ {print \$2}" "$work/cognate/credentials"; }
declare -A endpoint=([cognate]=http://127.0.0.1:19410 [moto]=http://127.0.0.1:19411 [cognito-local]=http://127.0.0.1:19412)
declare -A akid=([cognate]=$(key aws_access_key_id) [moto]=bench [cognito-local]=bench)
declare -A secret=([cognate]=$(key aws_secret_access_key) [moto]=bench [cognito-local]=bench)
targets=(cognate cognito-local moto)
scenarios=(get-user sign-in refresh admin-get-user temp-creds-admin-get-user credentials list-users-filter groups-token srp-sign-in)

# The ceilings of cognate's sign-ins, measured right before and right after the sign-in they
# judge (report.py takes the mean): the machine's speed drifts over a run of several minutes.
declare -A ceiling=([sign-in]=argon2 [srp-sign-in]=srp-server)
baseline() {
  [ -n "${ceiling[$1]:-}" ] && [ "$2" = cognate ] || return 0
  "$bench" "${ceiling[$1]}" --threads "$(nproc)" --seconds "$seconds" | tee -a "$results"
}

results=$work/results.jsonl
for scenario in "${scenarios[@]}"; do
  for target in "${targets[@]}"; do
    echo "== $scenario on $target"
    baseline "$scenario" "$target"
    if ! AWS_ACCESS_KEY_ID=${akid[$target]} AWS_SECRET_ACCESS_KEY=${secret[$target]} \
        "$bench" run --endpoint "${endpoint[$target]}" --scenario "$scenario" --seconds "$seconds" \
        --concurrency "$concurrency" --users 1000 --json >"$work/one.json" 2>"$work/one.err"; then
      printf '{"scenario": "%s", "failed": %s}\n' "$scenario" "$(python3 -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read().strip()[-200:]))' "$work/one.err")" >"$work/one.json"
    fi
    python3 -c 'import json,sys; r = json.load(open(sys.argv[1])); r["target"] = sys.argv[2]; print(json.dumps(r))' "$work/one.json" "$target" | tee -a "$results"
    baseline "$scenario" "$target"
  done
done

echo "== a pool of $large_users users (seeded through the store)"
export AWS_ACCESS_KEY_ID=${akid[cognate]} AWS_SECRET_ACCESS_KEY=${secret[cognate]}
large_pool=$(python3 - "${endpoint[cognate]}" <<'PY'
import sys, boto3
idp = boto3.client("cognito-idp", endpoint_url=sys.argv[1], region_name="us-east-1")
print(idp.create_user_pool(PoolName="large")["UserPool"]["Id"])
PY
)
seed_started=$(date +%s.%N)
"$bench" seed --pool-id "$large_pool" --users "$large_users" --data-dir "$work/cognate" 2>&1 | tail -n 1
seed_seconds=$(python3 -c "import time; print(round(time.time() - $seed_started, 1))")
"$bench" run --endpoint "${endpoint[cognate]}" --scenario list-users-filter --pool-id "$large_pool" --users "$large_users" \
  --seconds "$seconds" --concurrency "$concurrency" --json | python3 -c 'import json,sys; r = json.load(sys.stdin); r["target"] = "cognate-large"; print(json.dumps(r))' | tee -a "$results"

echo "== start-up time and idle memory with $large_users users"
kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true
start=$(date +%s.%N)
"$bin/cognate" serve --listen 127.0.0.1:19410 --https-listen off --data-dir "$work/cognate" --rate-limit-per-ip 0 --rate-limit-per-user 0 --max-connections-per-address 0 >"$work/cognate2.log" 2>&1 &
pids[0]=$!
until curl -s -o /dev/null http://127.0.0.1:19410/healthz; do sleep 0.005; done
startup=$(python3 -c "import time; print(round(time.time() - $start, 3))")
AWS_ACCESS_KEY_ID=${akid[cognate]} AWS_SECRET_ACCESS_KEY=${secret[cognate]} "$bench" run --endpoint "${endpoint[cognate]}" \
  --scenario list-users-filter --pool-id "$large_pool" --users "$large_users" --seconds 2 --concurrency 4 >/dev/null
# Sign-ins too, so that the figure includes the Argon2 working memory each CPU thread keeps.
AWS_ACCESS_KEY_ID=${akid[cognate]} AWS_SECRET_ACCESS_KEY=${secret[cognate]} "$bench" run --endpoint "${endpoint[cognate]}" \
  --scenario sign-in --users 8 --seconds 2 --concurrency 4 >/dev/null
sleep 2
rss_kb=$(awk '/VmRSS/ {print $2}' "/proc/${pids[0]}/status")
printf '{"target": "cognate-large", "startup_seconds": %s, "idle_rss_mb": %s, "seed_seconds": %s, "users": %s}\n' \
  "$startup" "$((rss_kb / 1024))" "$seed_seconds" "$large_users" | tee -a "$results"

python3 bench/report.py "$results" --seconds "$seconds" --concurrency "$concurrency" \
  --versions "moto $moto_version, cognito-local $cl_version" >"$out"

echo "== storage: cognate, moto's S3 and s3s-fs"
kill "${pids[@]}" 2>/dev/null || true
printf '\n' >>"$out"
bash bench/storage.sh --seconds "$seconds" --concurrency "$concurrency" --work "$work" >>"$out"
echo "== the REST gateway against its upstream called directly"
printf '\n' >>"$out"
bash bench/rest.sh --seconds "$seconds" --concurrency "$concurrency" --work "$work" >>"$out"
echo "== wrote $out"
cat "$out"
