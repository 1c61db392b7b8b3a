#!/usr/bin/env bash
# Issue 13's shutdown check: N `vigil run` with worker threads, each stopped by SIGTERM mid-stream on
# the side-by-side stream; exit status, runtime errors, lost and doubled outputs per run (stop_loop.py).
#   tools/bench/stop_loop.sh [OUT_DIR] [extra stop_loop.py args, e.g. --runs 30 --threads 2 --copies 9]
set -euo pipefail
bench_default=stop-loop bench_products="vigil"
source "$(dirname "${BASH_SOURCE[0]}")/prelude.sh" "${1:-}"
shift || true
"$VIGIL_VENV/bin/python" -m tools.bench.stop_loop --bootstrap "$bootstrap" --input "$out/all.ndjson" --output "$out" "$@"
