#!/usr/bin/env bash
# The REST gateway's cost: rest-proxy (a GET signed with a guest's temporary credentials, the
# role's execute-api:Invoke policy checked, proxied to a small upstream) against rest-direct (the
# same GET straight to that upstream), with rest-open (the same GET through an open route: the
# hop alone) between them, alternated three times at full concurrency and at concurrency 1
# (where p50 minus p50 is the latency the gateway adds). rest-signed-direct sends rest-proxy's
# signed request straight to the upstream: the ceiling for any gateway on these shared cores,
# since the client's signing and the upstream's reading of the signature cost the same with or
# without one. bare-proxy sends rest-direct's GET through `cognate-bench forward`, hyper's server
# and hyper-util's client with nothing between them: the floor of the hop on the gateway's own
# stack, so that the gateway's cost is seen apart from the hop's. The upstream runs in a process
# of its own (`cognate-bench upstream`), as a real service does; rest-direct is also run with the
# upstream inside the load tool's process, where calls to it need no other process to wake.
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
"$bin/cognate-bench" upstream --listen 127.0.0.1:19431 >"$work/upstream.log" 2>&1 &
upstream=$!
"$bin/cognate-bench" forward --listen 127.0.0.1:19432 --to http://127.0.0.1:19431 >"$work/forward.log" 2>&1 &
forwarder=$!
trap 'kill "$server" "$upstream" "$forwarder" 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:19430/healthz && break; sleep 0.2; done
key() { awk -F' = ' "/$1/ {print \$2}" "$work/rest-data/credentials"; }
# A process's CPU time so far, in clock ticks.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
results=$work/rest.jsonl
: >"$results"
for c in "$concurrency" 1; do
  for round in 1 2 3; do
    for scenario in rest-direct rest-signed-direct rest-open rest-proxy bare-proxy in-process; do
      # The process between the load tool and the upstream, whose CPU is the "server" column.
      where=(--upstream http://127.0.0.1:19431) run=$scenario proxy=$server
      case "$scenario" in
        in-process) where=() run=rest-direct ;;
        bare-proxy) where=(--upstream http://127.0.0.1:19432) run=rest-direct proxy=$forwarder ;;
      esac
      before=("$(ticks "$proxy")" "$(ticks "$upstream")")
      /usr/bin/time -f '%U %S' -o "$work/load-cpu.txt" \
        "$bin/cognate-bench" run --endpoint http://127.0.0.1:19430 --scenario "$run" \
        --seconds "$seconds" --concurrency "$c" "${where[@]}" --json \
        --access-key-id "$(key aws_access_key_id)" --secret-access-key "$(key aws_secret_access_key)" >"$work/one.json"
      python3 - "$work/one.json" "$scenario" "$(( $(ticks "$proxy") - before[0] ))" \
        "$(( $(ticks "$upstream") - before[1] ))" "$(cat "$work/load-cpu.txt")" "$(getconf CLK_TCK)" >>"$results" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
hz = int(sys.argv[6])
r["where"] = sys.argv[2]
r["cpu_s"] = {"server": int(sys.argv[3]) / hz, "upstream": int(sys.argv[4]) / hz,
              "load tool": sum(map(float, sys.argv[5].split()))}
print(json.dumps(r))
PY
    done
  done
done
python3 - "$results" "$concurrency" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
full = int(sys.argv[2])
def median(where, c, key):
    return statistics.median(r[key] for r in rows if r["where"] == where and r["concurrency"] == c)
def errors(where):
    return sum(r["errors"] for r in rows if r["where"] == where)
print("## REST gateway (rest-proxy against rest-direct)\n")
print("| concurrency | rest-direct ops/s | rest-signed-direct ops/s (÷ direct: a free gateway's ceiling) | bare-proxy ops/s (÷ direct: the hop's floor) | rest-open ops/s | rest-proxy ops/s | proxy ÷ direct | direct p50 | open p50 | proxy p50 | added p50 (proxy) | direct, upstream in the load tool: ops/s, p50 |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for c in (full, 1):
    d, sd, b, o, p, i = (median(s, c, "rate") for s in ("rest-direct", "rest-signed-direct", "bare-proxy", "rest-open", "rest-proxy", "in-process"))
    dp, op, pp, ip = (median(s, c, "p50_ms") for s in ("rest-direct", "rest-open", "rest-proxy", "in-process"))
    print(f"| {c} | {d:,.0f} | {sd:,.0f} ({sd/d:.0%}) | {b:,.0f} ({b/d:.0%}) | {o:,.0f} | {p:,.0f} | {p/d:.0%} | {dp:.2f} ms | {op:.2f} ms | {pp:.2f} ms | {pp-dp:.2f} ms | {i:,.0f}, {ip:.2f} ms |")
print("\nCPU time per call, in µs (medians; the server's (for bare-proxy the forwarder's) and upstream's from /proc, the load tool's from time(1), which counts its set-up too):\n")
print("| concurrency | scenario | server | upstream | load tool | all |")
print("|---|---|---|---|---|---|")
def cpu_us(where, c, who):
    return statistics.median(r["cpu_s"][who] * 1e6 / r["requests"] for r in rows if r["where"] == where and r["concurrency"] == c)
for c in (full, 1):
    for where in ("rest-direct", "rest-signed-direct", "bare-proxy", "rest-open", "rest-proxy"):
        parts = [cpu_us(where, c, who) for who in ("server", "upstream", "load tool")]
        print(f"| {c} | {where} | {parts[0]:.0f} | {parts[1]:.0f} | {parts[2]:.0f} | {sum(parts):.0f} |")
print(f"\nMedians of three alternated runs each; errors: " + ", ".join(f"{w} {errors(w)}" for w in ("rest-direct", "rest-signed-direct", "bare-proxy", "rest-open", "rest-proxy", "in-process")) + ".")
PY
