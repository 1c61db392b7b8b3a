#!/usr/bin/env bash
# Instructions per incident of a whole `vigil replay` with the shipped config (every default rule and
# the model), per binary: deterministic, unlike time on a shared box. cachegrind without cache
# simulation; the count includes startup (config, model parse) and loading the input.
#   tools/bench/replay_instructions.sh INPUT.ndjson VIGIL [VIGIL ...]
# INPUT: e.g. the 2020-2021 lines of `tools/replay_incidents.py --to-file` output. Binaries are
# stripped of debug info to a temporary copy first (valgrind cannot read Swift 6.3's).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../env.sh"
cd "$VIGIL_ROOT"
input=$1; shift
command -v valgrind >/dev/null || { echo "replay_instructions.sh: needs valgrind (apt-get install valgrind)" >&2; exit 2; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
for b in "$@"; do
  strip --strip-debug -o "$work/vigil" "$b"
  valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file="$work/cg.out" \
    "$work/vigil" replay --quiet --no-final-evaluation -c Config/vigil.toml -i "$input" -o /dev/null \
    --summary "$work/summary.json" 2>"$work/cg.txt" >/dev/null
  ir=$(awk '/I *refs/ {gsub(",","",$4); print $4}' "$work/cg.txt")
  n=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["incidents"])' "$work/summary.json")
  awk -v b="$b" -v n="$n" -v ir="$ir" 'BEGIN{printf "%s: %d incidents, %.0f instructions per incident\n", b, n, ir/n}'
done
