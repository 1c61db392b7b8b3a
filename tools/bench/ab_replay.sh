#!/usr/bin/env bash
# Same-run A/B of two vigil builds on the whole Toronto stream, interleaved rounds: per round and
# build, `vigil replay` with the shipped config, with the cluster scan off, and with the scan and
# the model off (the differences give the scan's and features + scoring's cost per incident).
# Prints one line per replay: name, user s, system s, peak KB, engine seconds, state digest,
# alert-file sha256 prefix.
#   tools/bench/ab_replay.sh BASE_VIGIL NEW_VIGIL INPUT.ndjson [ROUNDS] [OUT_DIR]
# INPUT: tools/replay_incidents.py --to-file; run it under `flock /tmp/vigil-bench.lock`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../env.sh" >/dev/null
base="$1" new="$2" input="$3" rounds="${4:-3}" out="${5:-$VIGIL_RUN/ab-replay}"
cfg="$VIGIL_ROOT/Config/vigil.toml"
mkdir -p "$out"
run() { # name binary env...
    local name=$1 bin=$2
    shift 2
    /usr/bin/time -f "%U %S %M" -o "$out/time.txt" env "$@" "$bin" replay -i "$input" -c "$cfg" \
        -o "$out/alerts-$name.ndjson" -q --no-final-evaluation --summary "$out/summary.json" >/dev/null 2>"$out/replay-$name.err"
    echo "$name $(cat "$out/time.txt") $("$VIGIL_VENV/bin/python" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["engine_seconds"], d["state_digest"])' "$out/summary.json") $(sha256sum <"$out/alerts-$name.ndjson" | cut -c1-12)"
}
for round in $(seq "$rounds"); do
    for b in base new; do
        bin="$base"; [[ $b == new ]] && bin="$new"
        run "$b-$round-full" "$bin"
        run "$b-$round-no-scan" "$bin" VIGIL_CLUSTERS_ENABLED=false
        run "$b-$round-no-scan-no-model" "$bin" VIGIL_CLUSTERS_ENABLED=false VIGIL_MODEL_PATH=
    done
done
