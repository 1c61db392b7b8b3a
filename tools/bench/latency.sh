#!/usr/bin/env bash
# Event→alert latency of vigil run against the broker's two-hop floor, same run (latency.py):
# builds vigil and vigil-loadgen (release), writes the real Toronto incidents, starts a broker.
#   tools/bench/latency.sh [OUT_DIR] [extra latency.py args, e.g. --rate 10000 --runs 3]
set -euo pipefail
bench_default=latency bench_products="vigil vigil-loadgen"
source "$(dirname "${BASH_SOURCE[0]}")/prelude.sh" "${1:-}"
shift || true
flock /tmp/vigil-bench.lock "$VIGIL_VENV/bin/python" -m tools.bench.latency --bootstrap "$bootstrap" \
    --input "$out/all.ndjson" --output "$out" "$@"
