#!/usr/bin/env bash
# Runs every libFuzzer target for SECONDS each (default 30) and prints executions per target.
#
#   scripts/fuzz.sh [SECONDS]        (also: make fuzz FUZZ_SECONDS=N)
#
# Targets: image inspector and config/sidecar parser (Fuzz/build.sh), console sanitizer +
# scrollback (Fuzz/build-console.sh), QMP decoder + line buffer (Fuzz/build-qmp.sh).
# Works from a clean clone: resolves the SwiftPM checkouts (TOMLKit sources for the config
# target), uses the Swift toolchain's clang/lld (installs clang and lld with apt-get when the
# toolchain has none), builds every target, then runs them one after the other.
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

echo "fuzz.sh: building targets" >&2
IMAGE=$(Fuzz/build.sh image | tail -1)
CONFIG=$(Fuzz/build.sh config | tail -1)
CONSOLE=$(Fuzz/build-console.sh | tail -1)
QMP=$(Fuzz/build-qmp.sh | tail -1)

# name|binary|seed-dir|libFuzzer options|ASAN_OPTIONS
# config: TOMLKit 0.6.0's TOMLTable(string:) never frees its 24-byte CTOMLParseError buffer
# (one per parse; see docs/reliability.md), so leak checking is off for that target only.
TARGETS=(
    "image|$IMAGE|Fuzz/corpus/image|-max_len=70000|"
    "config|$CONFIG|Fuzz/corpus/config|-max_len=4096 -detect_leaks=0|detect_leaks=0"
    "console|$CONSOLE|Fuzz/corpus/console|-max_len=8192|"
    "qmp|$QMP|Fuzz/corpus/qmp|-max_len=8192|"
)

status=0
summary=()
for t in "${TARGETS[@]}"; do
    IFS='|' read -r name bin seeds opts asan <<<"$t"
    corpus=$OUT/corpus-$name
    mkdir -p "$corpus"
    log=$OUT/$name.log
    echo "fuzz.sh: $name for ${SECONDS_PER_TARGET}s" >&2
    rc=0
    # shellcheck disable=SC2086
    ASAN_OPTIONS="${asan:-${ASAN_OPTIONS:-}}" "$bin" -max_total_time="$SECONDS_PER_TARGET" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$CRASHES/$name-" $opts "$corpus" "$seeds" >"$log" 2>&1 || rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    if [ "$rc" -eq 0 ]; then
        result=ok
    else
        result="FAILED (status $rc, see $log; reproduce: $bin $(ls -t "$CRASHES"/"$name"-* 2>/dev/null | head -1))"
        status=1
    fi
    summary+=("$(printf '%-8s %12s executions  %s' "$name" "${execs:-?}" "$result")")
done

echo "fuzz.sh: ${SECONDS_PER_TARGET}s per target"
printf '%s\n' "${summary[@]}"
exit "$status"
