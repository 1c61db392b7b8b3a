#!/usr/bin/env bash
# Issue 13's side-by-side table in one command: builds vigil (release), writes the real Toronto
# incidents, starts a broker, and runs bare loop / tuned Python / Vigil interleaved (side_by_side.py).
#   tools/bench/side_by_side.sh [OUT_DIR] [extra side_by_side.py args, e.g. --copies 9 --runs 3]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../env.sh"
cd "$VIGIL_ROOT"
out="${1:-$VIGIL_RUN/side-by-side}"
shift || true
mkdir -p "$out"
swift build -c release --product vigil >&2
[[ -s "$out/all.ndjson" ]] || "$VIGIL_VENV/bin/python" tools/replay_incidents.py --to-file "$out/all.ndjson" --quiet
broker_env="$(tools/broker.sh start)"
trap 'tools/broker.sh stop >/dev/null 2>&1 || true' EXIT
bootstrap="${broker_env#*=}"
flock /tmp/vigil-bench.lock "$VIGIL_VENV/bin/python" tools/bench/side_by_side.py --bootstrap "$bootstrap" \
    --input "$out/all.ndjson" --output "$out" "$@"
