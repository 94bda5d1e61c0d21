"""Turns compare.sh's JSON lines into the markdown table of BENCHMARKS.md."""
import argparse
import json
import os
import platform
import subprocess

parser = argparse.ArgumentParser()
parser.add_argument("results")
parser.add_argument("--seconds")
parser.add_argument("--concurrency")
parser.add_argument("--versions")
args = parser.parse_args()

rows = [json.loads(line) for line in open(args.results) if line.strip()]
runs = {(r.get("target"), r.get("scenario")): r for r in rows if "scenario" in r}
# Each ceiling is measured before and after the run it judges; take the mean.
baselines = {}
for r in rows:
    if "baseline" in r:
        baselines.setdefault(r["baseline"], []).append(r)
baselines = {name: {**runs_of[0], "rate": sum(x["rate"] for x in runs_of) / len(runs_of), "samples": [x["rate"] for x in runs_of]}
             for name, runs_of in baselines.items()}
large = next((r for r in rows if "idle_rss_mb" in r), {})
targets = ["cognate", "cognito-local", "moto"]
scenarios = ["get-user", "sign-in", "refresh", "admin-get-user", "temp-creds-admin-get-user", "credentials", "list-users-filter", "groups-token", "srp-sign-in"]


def cell(r):
    if r is None:
        return "not run"
    if "failed" in r:
        return "unsupported: " + r["failed"].splitlines()[-1][:60].replace("|", "/")
    if not r.get("rate"):
        return f'all {r["requests"]} failed: {(r.get("first_error") or "")[:60]}'.replace("|", "/")
    text = f'{r["rate"]:.0f}/s, p50 {r["p50_ms"]:.1f} ms, p99 {r["p99_ms"]:.1f} ms'
    if r["errors"]:
        text += f' ({r["errors"]} errors: {(r.get("first_error") or "")[:50]})'.replace("|", "/")
    return text


def ratio(scenario, peer):
    ours, theirs = runs.get(("cognate", scenario)), runs.get((peer, scenario))
    if not ours or not theirs or "failed" in ours or "failed" in theirs or not theirs.get("rate"):
        return "–"
    return f'{ours["rate"] / theirs["rate"]:.1f}×'


cpu = "unknown CPU"
try:
    cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
except (OSError, StopIteration):
    pass
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()

print(f"Machine: {os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}; cognate {commit}; {args.versions}.")
print(f"Each cell: {args.seconds} s at {args.concurrency} connections, all three servers on this machine, one after another, in one run.\n")
print("| scenario | cognate | cognito-local | moto | cognate ÷ cognito-local | cognate ÷ moto |")
print("|---|---|---|---|---|---|")
for s in scenarios:
    print(f"| {s} | {cell(runs.get(('cognate', s)))} | {cell(runs.get(('cognito-local', s)))} | {cell(runs.get(('moto', s)))} | {ratio(s, 'cognito-local')} | {ratio(s, 'moto')} |")

argon = baselines.get("argon2-verify")
srp = baselines.get("srp-server-modexp")
sign_in = runs.get(("cognate", "sign-in"))
srp_run = runs.get(("cognate", "srp-sign-in"))
print()
if argon and sign_in and "rate" in sign_in:
    print(f'- sign-in: {sign_in["rate"]:.1f}/s against {argon["rate"]:.1f} raw Argon2id verifications/s '
          f'({argon["parameters"]}, {argon["threads"]} threads; mean of {", ".join(f"{x:.1f}" for x in argon["samples"])} '
          f'measured just before and after): **{100 * sign_in["rate"] / argon["rate"]:.0f}%**.')
if srp and srp_run and "rate" in srp_run:
    print(f'- srp-sign-in: {srp_run["rate"]:.1f}/s against {srp["rate"]:.1f}/s (mean of before and after) for the server\'s three 3072-bit modular '
          f'exponentiations alone ({srp["threads"]} threads): {100 * srp_run["rate"] / srp["rate"]:.0f}% '
          f'(the load tool computes the client\'s side, two more exponentiations, on the same cores).')
root, temporary = runs.get(("cognate", "admin-get-user")), runs.get(("cognate", "temp-creds-admin-get-user"))
if root and temporary and root.get("rate") and temporary.get("rate"):
    print(f'- temp-creds-admin-get-user: {temporary["rate"]:.0f}/s against root-signed admin-get-user\'s {root["rate"]:.0f}/s: '
          f'**{100 * temporary["rate"] / root["rate"]:.0f}%** (target: at least 80%).')
big = runs.get(("cognate-large", "list-users-filter"))
if big and large:
    print(f'- list-users-filter on a pool of {large["users"]:,} users: {big["rate"]:.0f}/s, **p50 {big["p50_ms"]:.1f} ms**, '
          f'p99 {big["p99_ms"]:.1f} ms (seeded through the store in {large["seed_seconds"]} s).')
if large:
    print(f'- With {large["users"]:,} users: start-up to the first answered request **{large["startup_seconds"]} s**, '
          f'idle resident memory **{large["idle_rss_mb"]} MB**.')
