#!/usr/bin/env bash
# Instructions per incident (deterministic, unlike time on a shared box), by cachegrind:
#   tools/bench/scan_instructions.sh INPUT.ndjson VIGIL [VIGIL ...]
#     the emerging-cluster scan's cost: a clusters-only `vigil replay` (other rules and the model
#     off), scan on minus scan off, divided by the incidents; also D1 and last-level data misses.
#   tools/bench/scan_instructions.sh --features INPUT.ndjson VIGIL [VIGIL ...]
#     features + scoring: a shipped-config `vigil replay` with the model minus one without it
#     (VIGIL_MODEL_PATH= ), per incident: instructions, D1 misses, and misses of a simulated
#     1 MB last level (this machine's L2: the feature reads wait on L2 misses, L3 hits).
#     Valgrind has no AVX-512, so the trees take the scalar walk here.
#   tools/bench/scan_instructions.sh --whole INPUT.ndjson VIGIL [VIGIL ...]
#     a whole `vigil replay` with the shipped config (every default rule and the model), without
#     cache simulation; includes startup (config, model parse) and loading the input.
# INPUT: e.g. the 2020-2021 lines of `tools/replay_incidents.py --to-file` output. Binaries are
# stripped of debug info to a temporary copy first (valgrind cannot read Swift 6.3's).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../env.sh"
cd "$VIGIL_ROOT"
whole=false
features=false
if [[ ${1:-} == --whole ]]; then whole=true; shift; fi
if [[ ${1:-} == --features ]]; then features=true; shift; fi
input=$1; shift
command -v valgrind >/dev/null || { echo "scan_instructions.sh: needs valgrind (apt-get install valgrind)" >&2; exit 2; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
if $whole; then
  for b in "$@"; do
    strip --strip-debug -o "$work/vigil" "$b"
    valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file="$work/cg.out" \
      "$work/vigil" replay --quiet --no-final-evaluation -c Config/vigil.toml -i "$input" -o /dev/null \
      --summary "$work/summary.json" 2>"$work/cg.txt" >/dev/null
    ir=$(awk '/I *refs/ {gsub(",","",$4); print $4}' "$work/cg.txt")
    n=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["incidents"])' "$work/summary.json")
    awk -v b="$b" -v n="$n" -v ir="$ir" 'BEGIN{printf "%s: %d incidents, %.0f instructions per incident\n", b, n, ir/n}'
  done
  exit 0
fi
if $features; then
  for b in "$@"; do
    strip --strip-debug -o "$work/vigil" "$b"
    declare -A ir d1 ll
    for c in on off; do
      if [[ $c == off ]]; then export VIGIL_MODEL_PATH=; else unset VIGIL_MODEL_PATH; fi
      valgrind --tool=cachegrind --cache-sim=yes --LL=1048576,16,64 --cachegrind-out-file=/dev/null \
        "$work/vigil" replay --quiet --no-final-evaluation -c Config/vigil.toml -i "$input" -o /dev/null \
        --summary "$work/summary.json" 2>"$work/cg-$c.txt" >/dev/null
      ir[$c]=$(awk '/I *refs/ {gsub(",","",$4); print $4}' "$work/cg-$c.txt")
      d1[$c]=$(awk '/D1  misses/ {gsub(",","",$4); print $4}' "$work/cg-$c.txt")
      ll[$c]=$(awk '/LLd misses/ {gsub(",","",$4); print $4}' "$work/cg-$c.txt")
    done
    unset VIGIL_MODEL_PATH
    n=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["incidents"])' "$work/summary.json")
    awk -v b="$b" -v n="$n" -v i1="${ir[on]}" -v i0="${ir[off]}" -v d1="${d1[on]}" -v d0="${d1[off]}" \
        -v l1="${ll[on]}" -v l0="${ll[off]}" \
        'BEGIN{printf "%s: %d incidents; features + scoring per incident: %.0f instructions, %.1f D1 misses, %.2f 1 MB-LL misses (model on: %.2f, off: %.2f)\n", b, n, (i1-i0)/n, (d1-d0)/n, (l1-l0)/n, l1/n, l0/n}'
  done
  exit 0
fi
export VIGIL_HOTSPOTS_ENABLED=false VIGIL_RULES_COUNT_ENABLED=false VIGIL_RULES_SURGE_ENABLED=false VIGIL_MODEL_PATH=
for b in "$@"; do
  strip --strip-debug -o "$work/vigil" "$b"
  declare -A ir d1 ll
  for c in true false; do
    VIGIL_CLUSTERS_ENABLED=$c valgrind --tool=cachegrind --cache-sim=yes --cachegrind-out-file=/dev/null \
      "$work/vigil" replay --quiet --no-final-evaluation -c Config/vigil.toml -i "$input" -o /dev/null \
      --summary "$work/summary.json" 2>"$work/cg-$c.txt" >/dev/null
    ir[$c]=$(awk '/I *refs/ {gsub(",","",$4); print $4}' "$work/cg-$c.txt")
    d1[$c]=$(awk '/D1  misses/ {gsub(",","",$4); print $4}' "$work/cg-$c.txt")
    ll[$c]=$(awk '/LLd misses/ {gsub(",","",$4); print $4}' "$work/cg-$c.txt")
  done
  n=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["incidents"])' "$work/summary.json")
  awk -v b="$b" -v n="$n" -v i1="${ir[true]}" -v i0="${ir[false]}" -v d1="${d1[true]}" -v d0="${d1[false]}" \
      -v l1="${ll[true]}" -v l0="${ll[false]}" \
      'BEGIN{printf "%s: %d incidents; scan per incident: %.0f instructions, %.1f D1 misses, %.2f LL misses\n", b, n, (i1-i0)/n, (d1-d0)/n, (l1-l0)/n}'
done
