#!/usr/bin/env bash
# The emerging-cluster scan's time per incident, builds interleaved in the same run (time on a
# shared box swings between batches, so only same-run comparisons mean anything):
#   tools/bench/scan_time.sh INPUT.ndjson ROUNDS VIGIL [VIGIL ...]
# Each round runs every build with the scan on and off (a clusters-only `vigil replay`: other rules
# and the model off, as in scan_instructions.sh) and prints, per build, the medians over the rounds
# of (on − off) / incidents for the engine time (the summary's engine_seconds: no load, no teardown)
# and, when `perf` is installed, the whole process's CPU time (perf stat task-clock); and the best
# runs' engine times (fastest on, fastest on − fastest off), which other load on the box hurts least.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../env.sh" >/dev/null
cd "$VIGIL_ROOT"
input=$1 rounds=$2; shift 2
export VIGIL_HOTSPOTS_ENABLED=false VIGIL_RULES_COUNT_ENABLED=false VIGIL_RULES_SURGE_ENABLED=false VIGIL_MODEL_PATH=
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
perf=()
if command -v perf >/dev/null && perf stat -x, -e task-clock true >/dev/null 2>&1; then
    perf=(perf stat -x, -o "$work/perf.txt" -e task-clock)
fi
for _ in $(seq "$rounds"); do
    for b in "$@"; do
        for c in true false; do
            VIGIL_CLUSTERS_ENABLED=$c "${perf[@]}" "$b" replay --quiet --no-final-evaluation -c Config/vigil.toml -i "$input" \
                -o /dev/null --summary "$work/summary.json" >/dev/null 2>&1
            cpu=nan
            [[ ${#perf[@]} -gt 0 ]] && cpu=$(awk -F, '/task-clock/ {print $1 / 1000}' "$work/perf.txt")
            echo "$b $c $cpu $("$VIGIL_VENV/bin/python" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["engine_seconds"], d["incidents"])' "$work/summary.json")"
        done
    done
done | "$VIGIL_VENV/bin/python" -c '
import collections, math, statistics, sys
runs = collections.defaultdict(lambda: collections.defaultdict(list))
for line in sys.stdin:
    b, c, cpu, engine, n = line.split()
    runs[b][c].append((float(cpu), float(engine), int(n)))
for b, r in runs.items():
    n = r["true"][0][2]
    engine = [(on[1] - off[1]) * 1e6 / n for on, off in zip(r["true"], r["false"])]
    cpu = [(on[0] - off[0]) * 1e6 / n for on, off in zip(r["true"], r["false"])]
    line = f"{b}: {n} incidents, scan engine time {statistics.median(engine):.2f} us/incident (range {min(engine):.2f}-{max(engine):.2f})"
    if not any(math.isnan(x) for x in cpu):
        line += f", process CPU {statistics.median(cpu):.2f} us/incident (range {min(cpu):.2f}-{max(cpu):.2f})"
    # Other load only adds time, so the fastest runs are the least disturbed: min(on) - min(off).
    best_on = min(on[1] for on in r["true"])
    best_off = min(off[1] for off in r["false"])
    line += f", best runs: on {best_on:.3f} s, on - off {(best_on - best_off) * 1e6 / n:.2f} us/incident"
    print(line + f", {len(engine)} rounds")
'
