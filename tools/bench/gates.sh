#!/usr/bin/env bash
# Every byte-identical gate an optimisation or a merge must pass, one command (about 10 minutes):
#   tools/bench/gates.sh BASE_VIGIL NEW_VIGIL [OUT_DIR]
# 1. identical_replay.sh on the whole Toronto stream and its late re-ordered copy, with the shipped
#    alert kinds and with VIGIL_ALERTS_KINDS=all (every high_risk score and hotspot alert compared);
# 2. the 20x overlay's first 200,000 incidents with VIGIL_CLUSTERS_CALIBRATION=-14.1,1 (many
#    clusters feeding each other): cluster alerts and summary;
# 3. planted episodes, seeds 1-3 (tools.reference.run_episodes): the alert files.
# BASE_CONFIG: the base build's config file when this checkout's has keys the base build does not
# know (e.g. `git show BASE:Config/vigil.toml > /tmp/base/Config/vigil.toml`, beside a link to Config/models:
# relative paths in a config resolve from its directory). Prints GATES fail=N and exits 1 when anything differs. The data (never committed) is made once,
# from the Toronto set the venv holds, under $VIGIL_RUN/gates-data.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../env.sh" >/dev/null
base="$1" new="$2" out="${3:-$VIGIL_RUN/gates}"
data="$VIGIL_RUN/gates-data"
py="$VIGIL_VENV/bin/python"
mkdir -p "$data" "$out"
cd "$VIGIL_ROOT"
[[ -s "$data/all.ndjson" ]] || "$py" tools/replay_incidents.py --to-file "$data/all.ndjson" >/dev/null
[[ -s "$data/ov-sub.ndjson" ]] || "$py" - "$data/all.ndjson" "$data/ov-sub.ndjson" <<'PY'
# The 20x overlay (docs/PERFORMANCE.md, "Tile-contiguous per-cell state"): its first 200,000 rows.
import json, random, sys, datetime as dt
rng = random.Random(20261202)
lo, hi = dt.datetime(2018, 7, 1, tzinfo=dt.timezone.utc), dt.datetime(2019, 7, 1, tzinfo=dt.timezone.utc)
rows = []
for line in open(sys.argv[1]):
    d = json.loads(line); t = dt.datetime.fromisoformat(d["event_time"]).astimezone(dt.timezone.utc)
    if not (lo <= t < hi): continue
    for k in range(20):
        e = dict(d); tk = t
        if k:
            e["id"] = f'{d["id"]}-x{k}'
            e["lat"] = round(d["lat"] + rng.uniform(-400, 400) / 111_320, 8)
            e["lon"] = round(d["lon"] + rng.uniform(-400, 400) / 80_500, 8)
            tk = t + dt.timedelta(hours=rng.randint(-72, 72))
        e["event_time"] = tk.strftime("%Y-%m-%dT%H:%M:%SZ"); rows.append((tk, k, e))
rows.sort(key=lambda r: (r[0], r[1]))
open(sys.argv[2], "w").writelines(json.dumps(e, separators=(",", ":")) + "\n" for _, _, e in rows[:200_000])
PY

fail=0
tools/bench/identical_replay.sh "$base" "$new" "$data/all.ndjson" "$out/default" | tail -n1 | grep -qx IDENTICAL \
    && echo "identical_replay (shipped kinds): IDENTICAL" || { echo "identical_replay (shipped kinds): DIFFERENT ($out/default)"; fail=$((fail + 1)); }
VIGIL_ALERTS_KINDS=all tools/bench/identical_replay.sh "$base" "$new" "$data/all.ndjson" "$out/all-kinds" | tail -n1 | grep -qx IDENTICAL \
    && echo "identical_replay (all kinds): IDENTICAL" || { echo "identical_replay (all kinds): DIFFERENT ($out/all-kinds)"; fail=$((fail + 1)); }

cfg="$VIGIL_ROOT/Config/vigil.toml"
for b in base new; do
    bin="$base" bcfg="${BASE_CONFIG:-$cfg}"; [[ $b == new ]] && bin="$new" bcfg="$cfg"
    VIGIL_CLUSTERS_CALIBRATION=-14.1,1 "$bin" replay --quiet -c "$bcfg" -i "$data/ov-sub.ndjson" \
        -o "$out/overlay-$b.ndjson" --summary "$out/overlay-$b.json" >/dev/null 2>&1
    "$py" -c 'import json,sys; d=json.load(open(sys.argv[1])); [d.pop(k) for k in list(d) if any(w in k for w in ("seconds", "rss", "per_second"))]; print(json.dumps(d, sort_keys=True))' \
        "$out/overlay-$b.json" >"$out/overlay-$b.summary"
done
n=$(wc -l <"$out/overlay-new.ndjson")
if cmp -s "$out/overlay-base.ndjson" "$out/overlay-new.ndjson" && cmp -s "$out/overlay-base.summary" "$out/overlay-new.summary"; then
    echo "overlay: identical ($n alerts)"
else
    echo "overlay: DIFFERENT (base $(wc -l <"$out/overlay-base.ndjson"), new $n alerts)"; fail=$((fail + 1))
fi

for b in base new; do
    bin="$base" bcfg="${BASE_CONFIG:-$cfg}"; [[ $b == new ]] && bin="$new" bcfg="$cfg"
    "$py" -m tools.reference.run_episodes --seeds 1-3 --workdir "$out/episodes-$b" --binary "$bin" --config "$bcfg" >/dev/null 2>&1
done
for s in 1 2 3; do
    a="$out/episodes-base/alerts-$s.ndjson" n="$out/episodes-new/alerts-$s.ndjson"
    if [[ -s $a ]] && cmp -s "$a" "$n"; then
        echo "episode seed $s: identical ($(wc -l <"$n") alerts)"
    else
        echo "episode seed $s: DIFFERENT or missing ($a, $n)"; fail=$((fail + 1))
    fi
done
echo "GATES fail=$fail"
((fail == 0))
