#!/usr/bin/env bash
# Issue 13's side-by-side table in one command: builds vigil (release), writes the real Toronto
# incidents, starts a broker, and runs bare loop / tuned Python / Vigil interleaved (side_by_side.py).
#   tools/bench/side_by_side.sh [OUT_DIR] [extra side_by_side.py args, e.g. --copies 9 --runs 3]
set -euo pipefail
bench_default=side-by-side bench_products="vigil"
source "$(dirname "${BASH_SOURCE[0]}")/prelude.sh" "${1:-}"
shift || true
flock /tmp/vigil-bench.lock "$VIGIL_VENV/bin/python" tools/bench/side_by_side.py --bootstrap "$bootstrap" \
    --input "$out/all.ndjson" --output "$out" "$@"
