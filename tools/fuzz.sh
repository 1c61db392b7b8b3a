#!/usr/bin/env bash
# Fuzzes the incident decoder with libFuzzer (coverage-guided, AddressSanitizer on).
#   tools/fuzz.sh                    # 60 s
#   tools/fuzz.sh --seconds 600      # longer
#   tools/fuzz.sh --runs 1000000     # a fixed number of inputs (the recorded run in docs/RELIABILITY.md)
# Builds VigilCore's sources with Fuzz/IncidentDecoderFuzz.swift into .build-fuzz/ (not part of the
# package: -sanitize=fuzzer needs a main-less executable), seeds from Fuzz/corpus, keeps the grown
# corpus in .build-fuzz/corpus, and fails on any crash, leak, timeout or violated invariant.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$VIGIL_ROOT"
seconds=60; runs=-1
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) seconds="$2"; shift 2 ;;
        --runs) runs="$2"; seconds=0; shift 2 ;;
        *) echo "fuzz.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
out=.build-fuzz
mkdir -p "$out/corpus" "$out/artifacts"
rm -f "$out/incident-decoder-fuzz"  # never fuzz a stale binary when the build fails
echo "== building the decoder fuzz target" >&2
# VigilCore's one C dependency (the vector tree walks: every .c file of it) is compiled first and linked in.
build_target() {
    local c walks=()
    for c in Sources/CVigilTreeWalk/*.c; do
        walks+=("$out/$(basename "$c" .c).o")
        clang -O2 -c "$c" -I Sources/CVigilTreeWalk/include -o "${walks[-1]}" || return 1
    done
    # shellcheck disable=SC2046  # one argument per source file
    swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name VigilFuzz \
        -I Sources/CVigilTreeWalk/include "${walks[@]}" \
        $(find Sources/VigilCore -name '*.swift' | sort) Fuzz/IncidentDecoderFuzz.swift \
        -o "$out/incident-decoder-fuzz"
}
if ! build_target > "$out/build.log" 2>&1; then
    grep -v "ld.gold: warning: Cannot export local symbol" "$out/build.log" >&2
    echo "fuzz.sh: building the fuzz target failed (above)" >&2
    exit 1
fi
grep -v "ld.gold: warning: Cannot export local symbol" "$out/build.log" >&2 || true
args=(-max_len=4200 -timeout=5 -rss_limit_mb=2048 -artifact_prefix="$out/artifacts/" -print_final_stats=1)
if [ "$runs" != "-1" ]; then args+=(-runs="$runs"); else args+=(-max_total_time="$seconds"); fi
echo "== fuzzing the incident decoder (${runs/-1/${seconds}s})" >&2
"$out/incident-decoder-fuzz" "${args[@]}" "$out/corpus" Fuzz/corpus
