#!/usr/bin/env bash
# Sign-in against its ceiling, repeated: the raw Argon2id verification rate and cognate's
# USER_PASSWORD_AUTH rate, alternated ROUNDS times on one server, each sign-in judged against the
# mean of the raw runs just before and just after it. One pair is not enough on a shared machine:
# the raw rate alone moves by up to 10% within a minute.
#
#   bench/sign-in-ceiling.sh [--rounds 6] [--seconds 8] [--concurrency 16]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=6 seconds=8 concurrency=16
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --concurrency) concurrency=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
work=$(mktemp -d)
server=
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

cargo build --release -q -p cognate -p cognate-bench
bin=${CARGO_TARGET_DIR:-target}/release
"$bin/cognate" serve --listen 127.0.0.1:19420 --https-listen off --data-dir "$work" --rate-limit-per-ip 0 --rate-limit-per-user 0 --max-connections-per-address 0 >"$work/cognate.log" 2>&1 &
server=$!
for _ in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:19420/healthz && break; sleep 0.1; done
key() { awk -F' = ' "/$1/ {print \$2}" "$work/credentials"; }
export AWS_ACCESS_KEY_ID=$(key aws_access_key_id) AWS_SECRET_ACCESS_KEY=$(key aws_secret_access_key)

rate() { python3 -c 'import json,sys; print(round(json.load(sys.stdin)["rate"], 1))'; }
raw() { "$bin/cognate-bench" argon2 --threads "$(nproc)" --seconds "$((seconds / 2 + 1))" | rate; }
sign_in() {
  "$bin/cognate-bench" run --endpoint http://127.0.0.1:19420 --scenario sign-in \
    --seconds "$seconds" --concurrency "$concurrency" --json | rate
}
before=$(raw)
ratios=()
for round in $(seq "$rounds"); do
  signed=$(sign_in)
  after=$(raw)
  ratio=$(python3 -c "print(round(100 * $signed / (($before + $after) / 2), 1))")
  echo "round $round: raw $before, sign-in $signed/s, raw $after: $ratio%"
  ratios+=("$ratio")
  before=$after
done
python3 - "${ratios[@]}" <<'PY'
import statistics, sys
r = [float(x) for x in sys.argv[1:]]
print(f"sign-in ÷ raw Argon2id over {len(r)} rounds: mean {statistics.mean(r):.1f}%, "
      f"median {statistics.median(r):.1f}%, lowest {min(r):.1f}%, highest {max(r):.1f}%")
PY
