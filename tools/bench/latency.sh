#!/usr/bin/env bash
# Event→alert latency of vigil run against the broker's two-hop floor, same run (latency.py):
# builds vigil and vigil-loadgen (release), writes the real Toronto incidents, starts a broker.
#   tools/bench/latency.sh [OUT_DIR] [extra latency.py args, e.g. --rate 10000 --runs 3]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../env.sh"
cd "$VIGIL_ROOT"
out="${1:-$VIGIL_RUN/latency}"
shift || true
mkdir -p "$out"
swift build -c release --product vigil >&2
swift build -c release --product vigil-loadgen >&2
[[ -s "$out/all.ndjson" ]] || "$VIGIL_VENV/bin/python" tools/replay_incidents.py --to-file "$out/all.ndjson" --quiet
broker_env="$(tools/broker.sh start)"
trap 'tools/broker.sh stop >/dev/null 2>&1 || true' EXIT
bootstrap="${broker_env#*=}"
flock /tmp/vigil-bench.lock "$VIGIL_VENV/bin/python" -m tools.bench.latency --bootstrap "$bootstrap" \
    --input "$out/all.ndjson" --output "$out" "$@"
