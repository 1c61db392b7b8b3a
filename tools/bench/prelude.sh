# Sourced by the broker benchmarks' wrappers (side_by_side.sh, latency.sh, stop_loop.sh), after they
# set `bench_default` (the output folder's name under $VIGIL_RUN) and `bench_products` (the release
# products to build): the environment, the output folder (the wrapper's first argument, passed here),
# the builds, the real Toronto incidents in $out/all.ndjson, and a broker that is stopped at exit.
# Sets `out` and `bootstrap`.
source "$(dirname "${BASH_SOURCE[0]}")/../env.sh"
cd "$VIGIL_ROOT"
out="${1:-$VIGIL_RUN/$bench_default}"
mkdir -p "$out"
for product in $bench_products; do swift build -c release --product "$product" >&2; done
[[ -s "$out/all.ndjson" ]] || "$VIGIL_VENV/bin/python" tools/replay_incidents.py --to-file "$out/all.ndjson" --quiet
broker_env="$(tools/broker.sh start)"
trap 'tools/broker.sh stop >/dev/null 2>&1 || true' EXIT
bootstrap="${broker_env#*=}"
