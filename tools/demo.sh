#!/usr/bin/env bash
# Vigil's demo on real data: starts a local broker and `vigil run`, replays Toronto Police Major
# Crime Indicators incidents into the incidents topic in event-time order, shows alerts (and
# dead letters) arriving in a readable live tail, then stops everything cleanly.
# First a year of history goes in as fast as it can (the daemon learns each place's baseline from it),
# then the last N days at one data week per second, with a few planted episodes (3 surges, 2 emerging
# clusters, ids plant-7-*) mixed into the real stream so there is news to see; the rest is real.
#
#   tools/demo.sh                       # last 120 days of 2021, one data week per second
#   tools/demo.sh --days 30 --speed 86400 --shift-to-now   # a day per second, times moved to now
#   tools/demo.sh --release             # build vigil in release mode first
#   tools/demo.sh --keep-running        # keep vigil (and its page) up after the replay, until Ctrl-C
# Options: --days N (default 120), --speed X (event seconds per wall second, 0 = max; default 604800),
#          --shift-to-now, --malformed N (a malformed message every N incidents, default 2000), --release,
#          --keep-running
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$VIGIL_ROOT"

days=120; speed=604800; shift=""; malformed=2000; config=debug; keep=
while (($#)); do
    case "$1" in
        --days) days="$2"; shift 2 ;;
        --speed) speed="$2"; shift 2 ;;
        --shift-to-now) shift="--shift-to-now"; shift ;;
        --malformed) malformed="$2"; shift 2 ;;
        --release) config=release; shift ;;
        --keep-running) keep=1; shift ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        *) echo "demo: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

"$VIGIL_ROOT/tools/setup.sh"
echo "demo: building vigil ($config)" >&2
swift build -c "$config" --product vigil 2>&1 | tail -n 1
vigil="$(swift build -c "$config" --show-bin-path)/vigil"

mkdir -p "$VIGIL_RUN"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    "$VIGIL_ROOT/tools/broker.sh" stop
}
trap cleanup EXIT
trap 'exit 130' INT TERM

broker_env="$("$VIGIL_ROOT/tools/broker.sh" start)"
export "${broker_env?}"
echo "demo: broker at $VIGIL_BOOTSTRAP" >&2

# The shipped configuration, pointed at the local broker through an environment override.
export VIGIL_KAFKA_BOOTSTRAP_SERVERS="$VIGIL_BOOTSTRAP"
export VIGIL_KAFKA_GROUP_ID="vigil-demo"
# As shipped, the exact tile layout (docs/SCALE-OUT.md): the city's one input partition routed to
# 6 tile scans and one lifecycle, which publishes exactly what `vigil replay` (one engine) says.
echo "demo: the shipped tile layout: a router, 6 tile scans and one lifecycle ([scale_out], docs/SCALE-OUT.md)" >&2
"$vigil" run --config Config/vigil.toml >"$VIGIL_RUN/vigil.log" 2>&1 &
vigil_pid=$!
pids+=("$vigil_pid")
for _ in $(seq 1 300); do
    grep -q '"partitions assigned"' "$VIGIL_RUN/vigil.log" 2>/dev/null && break
    kill -0 "$vigil_pid" 2>/dev/null || { cat "$VIGIL_RUN/vigil.log" >&2; exit 1; }
    sleep 0.1
done
echo "demo: vigil is running (log: $VIGIL_RUN/vigil.log); alerts and dead letters follow" >&2
admin="$(grep -o '"admin.address":"[^"]*"' "$VIGIL_RUN/vigil.log" | head -n1 | cut -d'"' -f4)"
[[ -n "$admin" ]] && echo "demo: operator's page (map, live alerts, trends, health): http://$admin/" >&2

"$VIGIL_VENV/bin/python" tools/tail_alerts.py --bootstrap "$VIGIL_BOOTSTRAP" --topic vigil.alerts \
    --dead-letter-topic incidents.dlq --tz America/Toronto &
pids+=($!)

# The stream: real incidents from a year before the live part, with episodes planted in the live part.
live_from="$(date -u -d "2021-12-31 - $((days - 1)) days" +%F)"
history_to="$(date -u -d "$live_from - 1 day" +%F)"
history_from="$(date -u -d "$live_from - 400 days" +%F)"
stream="$VIGIL_RUN/demo-stream.ndjson"
"$VIGIL_VENV/bin/python" -m tools.reference.plant_episodes --seed 7 --period-from "$live_from" --period-to 2021-12-31 \
    --history-from "$history_from" --surges 3 --clusters 2 --controls 0 --out "$stream" --truth "$VIGIL_RUN/demo-planted.json" >/dev/null
"$VIGIL_VENV/bin/python" - "$VIGIL_RUN/demo-planted.json" >&2 <<'PY' || true
import json, sys
episodes = [e for e in json.load(open(sys.argv[1]))["episodes"] if e["kind"] != "control"]
print("demo: planted into the live part (everything else is real):")
for e in episodes:
    print(f"demo:   {e['kind']} of {e['size']} incidents near ({e['centre']['lat']:.4f}, {e['centre']['lon']:.4f}) from {e['start'][:16]}Z")
PY
if [[ -z "$shift" ]]; then
    echo "demo: loading history $history_from .. $history_to (baselines; alerts from it are shown too)" >&2
    "$VIGIL_VENV/bin/python" tools/replay_incidents.py --bootstrap "$VIGIL_BOOTSTRAP" --topic incidents \
        --ndjson "$stream" --to "$history_to" --speed max --quiet --key city
else
    echo "demo: --shift-to-now replays only the live part: without a baseline year, no cluster can be judged" >&2
fi
echo "demo: live: $live_from .. 2021-12-31" >&2
"$VIGIL_VENV/bin/python" tools/replay_incidents.py --bootstrap "$VIGIL_BOOTSTRAP" --topic incidents \
    --ndjson "$stream" --from "$live_from" --speed "$speed" --inject-malformed "$malformed" --key city $shift

# Wait until vigil has read everything sent (a debug build on a busy machine lags the replay):
# done once its count of messages read (main pipeline and tile-layout stages) has not moved for 5 s.
if [[ -n "$admin" ]]; then
    last=-1; still=0; waited=0
    while (( still < 5 && waited < 900 )); do
        consumed=$("$VIGIL_VENV/bin/python" -c 'import sys, urllib.request
text = urllib.request.urlopen(f"http://{sys.argv[1]}/metrics", timeout=5).read().decode()
print(sum(int(float(l.split()[1])) for l in text.splitlines()
          if l.startswith(("vigil_messages_consumed_total ", "vigil_stage_records_total{"))))' "$admin" 2>/dev/null || echo 0)
        if [[ "${consumed:-0}" == "$last" ]]; then still=$((still + 1)); else still=0; fi
        (( waited % 10 == 9 && still == 0 )) && echo "demo: vigil is catching up (${consumed:-0} messages read)" >&2
        last=${consumed:-0}; waited=$((waited + 1))
        sleep 1
    done
fi
sleep 2  # let the last alerts arrive
if [[ -n "$keep" ]]; then
    echo "demo: replay finished; vigil and its page stay up until Ctrl-C${admin:+ (http://$admin/)}" >&2
    wait "$vigil_pid" || true
fi
echo "demo: replay finished; stopping vigil" >&2
kill -TERM "$vigil_pid"
wait "$vigil_pid" && status=0 || status=$?
pids=("${pids[@]:1}")
alerts=$(grep -c '"rule":"' "$VIGIL_RUN/vigil.log" || true)
echo "demo: vigil exited with status $status; $alerts alert lines in $VIGIL_RUN/vigil.log" >&2
grep '"msg":"stopped"' "$VIGIL_RUN/vigil.log" >&2 || true
exit "$status"
