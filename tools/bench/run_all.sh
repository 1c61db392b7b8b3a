#!/usr/bin/env bash
# Every benchmark of docs/PERFORMANCE.md in one go (release builds, ~20 minutes on 2 busy cores).
#   tools/bench/run_all.sh [OUT_DIR]
# Optional: VIGIL_BENCH_BASE=path/to/an-older/vigil-bench and VIGIL_REPLAY_BASE=path/to/an-older/vigil
# run the same engine stages and replay with an older build, interleaved, for an A/B in the same run.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../env.sh"
cd "$VIGIL_ROOT"
out="${1:-$VIGIL_RUN/bench}"
mkdir -p "$out"
for p in vigil vigil-bench vigil-loadgen; do swift build -c release --product "$p" >&2; done
data="$out/all.ndjson"
[[ -s "$data" ]] || "$VIGIL_VENV/bin/python" tools/replay_incidents.py --to-file "$data" --quiet

echo "== replay of the real data: alerts must be byte-identical to the older build" >&2
for round in 1 2 3; do
    .build/release/vigil replay -i "$data" -o "$out/alerts.ndjson" --summary "$out/replay-$round.json" -q
    if [[ -n "${VIGIL_REPLAY_BASE:-}" ]]; then
        "$VIGIL_REPLAY_BASE" replay -i "$data" -o "$out/alerts-base.ndjson" --summary "$out/replay-base-$round.json" -q
    fi
done
sha256sum "$out"/alerts*.ndjson

echo "== engine stages (21 copies overlaid, > 5 M events)" >&2
stages=decode,windows,count,surge,hotspots,engine
for round in 1 2; do
    if [[ -n "${VIGIL_BENCH_BASE:-}" ]]; then
        "$VIGIL_BENCH_BASE" --input "$data" --copies 21 --runs 3 --stages "$stages" --no-extras --json "$out/engine-base-$round.ndjson" | tee "$out/engine-base-$round.txt"
    fi
    extras=$([[ $round == 1 ]] && echo "" || echo --no-extras)
    .build/release/vigil-bench --input "$data" --copies 21 --runs 3 --stages "$stages,score,rebuild" $extras --json "$out/engine-$round.ndjson" | tee "$out/engine-$round.txt"
done

echo "== end to end against the broker" >&2
"$VIGIL_VENV/bin/python" tools/bench/bench_e2e.py --input "$data" --runs 3 --rates 10000,0 \
    --latency-consumer fetch.wait.max.ms=1 --latency-max-batch 16 --latency-count-threshold 2 --output "$out/e2e.json" >/dev/null
echo "results in $out" >&2
