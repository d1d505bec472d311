#!/usr/bin/env bash
# Runs every libFuzzer target for SECONDS each (default 30) and prints executions per target.
#
#   scripts/fuzz.sh [SECONDS]        (also: make fuzz FUZZ_SECONDS=N)
#
# Targets: image inspector and config/sidecar parser (Fuzz/build.sh), console sanitizer +
# scrollback (Fuzz/build-console.sh), QMP decoder + line buffer (Fuzz/build-qmp.sh).
# Works from a clean clone: resolves the SwiftPM checkouts (TOMLKit sources for the config
# target), uses the Swift toolchain's clang/lld (installs clang and lld with apt-get when the
# toolchain has none), builds every target, then runs them, two at a time (one core each).
# New corpus entries go to .build/fuzz/corpus-NAME (the checked-in seeds in Fuzz/corpus stay
# untouched); crashes go to .build/fuzz/crashes/. Exit status 1 when any target found a crash.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SECONDS_PER_TARGET=${1:-${FUZZ_SECONDS:-30}}
case "$SECONDS_PER_TARGET" in ''|*[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;; esac
[ -d /opt/swift/usr/bin ] && export PATH="/opt/swift/usr/bin:$PATH"

command -v swiftc >/dev/null || { echo "fuzz.sh: swiftc not found (install Swift 6, see README)" >&2; exit 1; }
TOOLCHAIN=$(dirname "$(readlink -f "$(command -v swiftc)")")
if [ ! -x "$TOOLCHAIN/clang" ] || ! { [ -x "$TOOLCHAIN/ld.lld" ] || command -v ld.lld >/dev/null; }; then
    if ! command -v clang >/dev/null || ! command -v ld.lld >/dev/null; then
        echo "fuzz.sh: installing clang and lld" >&2
        SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
        $SUDO apt-get install -y clang lld >/dev/null 2>&1 || { $SUDO apt-get update >/dev/null && $SUDO apt-get install -y clang lld >/dev/null; }
    fi
fi

# TOMLKit's sources (for the config target) come from the SwiftPM checkout.
[ -d .build/checkouts/TOMLKit/Sources/TOMLKit ] || swift package resolve >/dev/null

OUT=.build/fuzz
CRASHES=$OUT/crashes
mkdir -p "$OUT" "$CRASHES"

# Two at a time (builds, then fuzzing runs): each is one process on one core.
JOBS=2

# build NAME CMD...: runs one target's build script; its last stdout line is the binary's path,
# kept in $OUT/NAME.bin. Its stderr is shown only when it fails.
build() {
    local name=$1; shift
    if "$@" >"$OUT/build-$name.out" 2>"$OUT/build-$name.err"; then
        tail -1 "$OUT/build-$name.out" >"$OUT/$name.bin"
    else
        echo "fuzz.sh: building $name failed:" >&2; cat "$OUT/build-$name.err" >&2; return 1
    fi
}

echo "fuzz.sh: building targets" >&2
build config Fuzz/build.sh config & b1=$!
build image Fuzz/build.sh image & b2=$!
wait "$b2" || exit 1
build console Fuzz/build-console.sh & b3=$!
wait "$b1" || exit 1
build qmp Fuzz/build-qmp.sh & b4=$!
wait "$b3" && wait "$b4" || exit 1
IMAGE=$(cat "$OUT/image.bin"); CONFIG=$(cat "$OUT/config.bin")
CONSOLE=$(cat "$OUT/console.bin"); QMP=$(cat "$OUT/qmp.bin")

# name|binary|seed-dir|libFuzzer options|ASAN_OPTIONS
# config: TOMLKit 0.6.0's TOMLTable(string:) never frees its 24-byte CTOMLParseError buffer
# (one per parse; see docs/reliability.md), so leak checking is off for that target only.
TARGETS=(
    "image|$IMAGE|Fuzz/corpus/image|-max_len=70000|"
    "config|$CONFIG|Fuzz/corpus/config|-max_len=4096 -detect_leaks=0|detect_leaks=0"
    "console|$CONSOLE|Fuzz/corpus/console|-max_len=8192|"
    "qmp|$QMP|Fuzz/corpus/qmp|-max_len=8192|"
)

# fuzz NAME BINARY SEEDS OPTIONS ASAN: runs one target; its summary line goes to $OUT/NAME.result,
# and its status says whether it found a crash.
fuzz() {
    local name=$1 bin=$2 seeds=$3 opts=$4 asan=$5 corpus=$OUT/corpus-$1 log=$OUT/$1.log rc=0 execs result
    mkdir -p "$corpus"
    echo "fuzz.sh: $name for ${SECONDS_PER_TARGET}s" >&2
    # shellcheck disable=SC2086
    ASAN_OPTIONS="${asan:-${ASAN_OPTIONS:-}}" "$bin" -max_total_time="$SECONDS_PER_TARGET" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$CRASHES/$name-" $opts "$corpus" "$seeds" >"$log" 2>&1 || rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    if [ "$rc" -eq 0 ]; then
        result=ok
    else
        result="FAILED (status $rc, see $log; reproduce: $bin $(ls -t "$CRASHES"/"$name"-* 2>/dev/null | head -1))"
    fi
    printf '%-8s %12s executions  %s\n' "$name" "${execs:-?}" "$result" >"$OUT/$name.result"
    [ "$rc" -eq 0 ]
}

status=0
pids=()
names=()
for t in "${TARGETS[@]}"; do
    IFS='|' read -r name bin seeds opts asan <<<"$t"
    fuzz "$name" "$bin" "$seeds" "$opts" "$asan" & pids+=("$!"); names+=("$name")
    if [ "${#pids[@]}" -ge "$JOBS" ]; then wait "${pids[0]}" || status=1; pids=("${pids[@]:1}"); fi
done
for pid in "${pids[@]}"; do wait "$pid" || status=1; done

echo "fuzz.sh: ${SECONDS_PER_TARGET}s per target, $JOBS at a time"
for name in "${names[@]}"; do cat "$OUT/$name.result"; done
exit "$status"
