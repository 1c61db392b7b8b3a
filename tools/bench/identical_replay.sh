#!/usr/bin/env bash
# The byte-identical gate for optimisations: replays the whole Toronto stream with two vigil builds
# and compares every output that must not change (alerts, window probes, final hotspots, cluster-scan
# cylinders, the state digest), also on a copy of the stream re-ordered so incidents arrive up to
# 50 min late (the lateness path). Prints IDENTICAL or the differing files; exits 1 on a difference.
#   tools/bench/identical_replay.sh BASE_VIGIL NEW_VIGIL INPUT.ndjson [OUT_DIR]
# INPUT: tools/replay_incidents.py --to-file. BASE_CONFIG: the base build's config file when this
# checkout's has keys the base build does not know (default: this checkout's Config/vigil.toml).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../env.sh" >/dev/null
base="$1" new="$2" input="$3" out="${4:-$VIGIL_RUN/identical}"
cfg="$VIGIL_ROOT/Config/vigil.toml"
mkdir -p "$out"
late="$out/late.ndjson"
[[ -s "$late" ]] || "$VIGIL_VENV/bin/python" - "$input" "$late" <<'PY'
import json, random, sys
from datetime import datetime
random.seed(7)
rows = [(datetime.fromisoformat(json.loads(line)["event_time"]).timestamp() + random.uniform(0, 3000), line)
        for line in open(sys.argv[1])]
rows.sort(key=lambda r: r[0])
with open(sys.argv[2], "w") as f:
    f.writelines(line for _, line in rows)
PY
for b in base new; do
    bin="$base" bcfg="${BASE_CONFIG:-$cfg}"; [[ $b == new ]] && bin="$new" bcfg="$cfg"
    o="$out/$b"; mkdir -p "$o"
    "$bin" replay -i "$input" -c "$bcfg" -o "$o/alerts.ndjson" -q --summary "$o/summary.json" --probes 3000 \
        --probe-output "$o/probes.ndjson" --hotspots-output "$o/hotspots.json" \
        --cluster-probes "$o/cluster.ndjson" --cluster-probe-every 97 2>/dev/null
    "$bin" replay -i "$late" -c "$bcfg" -o "$o/alerts-late.ndjson" -q --keep-order --summary "$o/summary-late.json" \
        --probes 3000 --probe-output "$o/probes-late.ndjson" 2>/dev/null
    for s in summary summary-late; do
        "$VIGIL_VENV/bin/python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["state_digest"])' "$o/$s.json" >"$o/$s.digest"
    done
done
status=0
for f in alerts.ndjson probes.ndjson hotspots.json cluster.ndjson summary.digest alerts-late.ndjson probes-late.ndjson summary-late.digest; do
    a="$(sha256sum <"$out/base/$f" | cut -c1-16)" n="$(sha256sum <"$out/new/$f" | cut -c1-16)"
    echo "$f base $a new $n"
    [[ $a == "$n" ]] || status=1
done
((status == 0)) && echo IDENTICAL || echo DIFFERENT
exit $status
