#!/usr/bin/env bash
# The REST gateway's cost: rest-proxy (a GET signed with a guest's temporary credentials, the
# role's execute-api:Invoke policy checked, proxied to a small upstream in cognate-bench's
# process) against rest-direct (the same GET straight to that upstream), with rest-open (the same
# GET through an open route: the hop alone) between them, alternated three times
# at full concurrency and at concurrency 1 (where p50 minus p50 is the latency the gateway adds).
# Prints a markdown section with the medians.
#
#   bench/rest.sh [--seconds 8] [--concurrency 16] [--work DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=8 concurrency=16 work=
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --concurrency) concurrency=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[ -n "$work" ] || work=$(mktemp -d)
mkdir -p "$work"
cargo build --release -q -p cognate -p cognate-bench
bin=${CARGO_TARGET_DIR:-target}/release
rm -rf "$work/rest-data"
"$bin/cognate" serve --listen 127.0.0.1:19430 --https-listen off --data-dir "$work/rest-data" \
  --rate-limit-per-ip 0 --rate-limit-per-user 0 --max-connections-per-address 0 >"$work/rest.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:19430/healthz && break; sleep 0.2; done
key() { awk -F' = ' "/$1/ {print \$2}" "$work/rest-data/credentials"; }
results=$work/rest.jsonl
: >"$results"
for c in "$concurrency" 1; do
  for round in 1 2 3; do
    for scenario in rest-direct rest-open rest-proxy; do
      "$bin/cognate-bench" run --endpoint http://127.0.0.1:19430 --scenario "$scenario" --seconds "$seconds" \
        --concurrency "$c" --access-key-id "$(key aws_access_key_id)" --secret-access-key "$(key aws_secret_access_key)" --json \
        >>"$results"
    done
  done
done
python3 - "$results" "$concurrency" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
full = int(sys.argv[2])
def median(scenario, c, key):
    return statistics.median(r[key] for r in rows if r["scenario"] == scenario and r["concurrency"] == c)
def errors(scenario):
    return sum(r["errors"] for r in rows if r["scenario"] == scenario)
print("## REST gateway (rest-proxy against rest-direct)\n")
print("| concurrency | rest-direct ops/s | rest-open ops/s | rest-proxy ops/s | proxy ÷ direct | direct p50 | open p50 | proxy p50 | added p50 (proxy) |")
print("|---|---|---|---|---|---|---|---|---|")
for c in (full, 1):
    d, o, p = (median(s, c, "rate") for s in ("rest-direct", "rest-open", "rest-proxy"))
    dp, op, pp = (median(s, c, "p50_ms") for s in ("rest-direct", "rest-open", "rest-proxy"))
    print(f"| {c} | {d:,.0f} | {o:,.0f} | {p:,.0f} | {p/d:.0%} | {dp:.2f} ms | {op:.2f} ms | {pp:.2f} ms | {pp-dp:.2f} ms |")
print(f"\nMedians of three alternated runs each; errors: rest-direct {errors('rest-direct')}, rest-open {errors('rest-open')}, rest-proxy {errors('rest-proxy')}.")
PY
