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
# One cachegrind replay of "$work/vigil" per setting, the environment given as NAME=VALUE words
# (empty VALUE: set and empty; an empty setting: the environment as it is), then the per-incident difference of the first setting minus the
# second: instructions, D1 misses and last-level data misses (cachegrind options in $cg_cache).
# Prints "instructions d1 ll ll_first ll_second incidents".
on_minus_off() {
  local c ir=() d1=() ll=()
  for c in "$1" "$2"; do
    # shellcheck disable=SC2086
    env $c valgrind --tool=cachegrind --cache-sim=yes $cg_cache --cachegrind-out-file=/dev/null \
      "$work/vigil" replay --quiet --no-final-evaluation -c Config/vigil.toml -i "$input" -o /dev/null \
      --summary "$work/summary.json" 2>"$work/cg.txt" >/dev/null
    ir+=("$(awk '/I *refs/ {gsub(",","",$4); print $4}' "$work/cg.txt")")
    d1+=("$(awk '/D1  misses/ {gsub(",","",$4); print $4}' "$work/cg.txt")")
    ll+=("$(awk '/LLd misses/ {gsub(",","",$4); print $4}' "$work/cg.txt")")
  done
  local n
  n=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["incidents"])' "$work/summary.json")
  awk -v n="$n" -v i1="${ir[0]}" -v i0="${ir[1]}" -v d1="${d1[0]}" -v d0="${d1[1]}" -v l1="${ll[0]}" -v l0="${ll[1]}" \
    'BEGIN{printf "%.0f %.1f %.2f %.2f %.2f %d\n", (i1-i0)/n, (d1-d0)/n, (l1-l0)/n, l1/n, l0/n, n}'
}
if $features; then
  cg_cache="--LL=1048576,16,64"
  for b in "$@"; do
    strip --strip-debug -o "$work/vigil" "$b"
    read -r i d l l1 l0 n < <(on_minus_off "" "VIGIL_MODEL_PATH=")
    echo "$b: $n incidents; features + scoring per incident: $i instructions, $d D1 misses, $l 1 MB-LL misses (model on: $l1, off: $l0)"
  done
  exit 0
fi
cg_cache=""
for b in "$@"; do
  strip --strip-debug -o "$work/vigil" "$b"
  off="VIGIL_HOTSPOTS_ENABLED=false VIGIL_RULES_COUNT_ENABLED=false VIGIL_RULES_SURGE_ENABLED=false VIGIL_MODEL_PATH="
  read -r i d l _ _ n < <(on_minus_off "$off VIGIL_CLUSTERS_ENABLED=true" "$off VIGIL_CLUSTERS_ENABLED=false")
  echo "$b: $n incidents; scan per incident: $i instructions, $d D1 misses, $l LL misses"
done
