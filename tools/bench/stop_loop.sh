#!/usr/bin/env bash
# Issue 13's shutdown check: N `vigil run` with worker threads, each stopped by SIGTERM mid-stream on
# the side-by-side stream; exit status, runtime errors, lost and doubled outputs per run (stop_loop.py).
#   tools/bench/stop_loop.sh [OUT_DIR] [extra stop_loop.py args, e.g. --runs 30 --threads 2 --copies 9]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../env.sh"
cd "$VIGIL_ROOT"
out="${1:-$VIGIL_RUN/stop-loop}"
shift || true
mkdir -p "$out"
swift build -c release --product vigil >&2
[[ -s "$out/all.ndjson" ]] || "$VIGIL_VENV/bin/python" tools/replay_incidents.py --to-file "$out/all.ndjson" --quiet
broker_env="$(tools/broker.sh start)"
trap 'tools/broker.sh stop >/dev/null 2>&1 || true' EXIT
bootstrap="${broker_env#*=}"
"$VIGIL_VENV/bin/python" -m tools.bench.stop_loop --bootstrap "$bootstrap" --input "$out/all.ndjson" --output "$out" "$@"
