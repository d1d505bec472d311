#!/usr/bin/env bash
# Runs the backend and console tests under the thread sanitizer, in their own scratch path
# (.build-tsan) so the normal debug build is left alone.
#
#   scripts/tsan.sh [extra swift test arguments]
#
# Filter: every BackendsTests suite (QEMU backend, monitor, events, console follow) and the
# console engine tests in ModelsTests (sanitizer, scrollback). A data race makes TSan print
# "WARNING: ThreadSanitizer: data race" and fail the test run; the summary below counts them.
# Caveat: Synchronization.Mutex locks with futexes inside the (uninstrumented) Swift runtime, so
# TSan cannot see its happens-before edges on Linux: two accesses to Mutex-guarded state from
# different threads are reported as a race even though the lock orders them (a ten-line program
# with one Mutex and four threads reproduces it). Read reports in Mutex-guarded code with that in
# mind; races outside such state are real. Not part of scripts/test.sh for that reason.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d /opt/swift/usr/bin ] && export PATH="/opt/swift/usr/bin:$PATH"
make -C fixtures >/dev/null
export UNITOP_FIXTURES="$PWD/fixtures/build"
FILTER=${TSAN_FILTER:-'BackendsTests|ModelsTests\.(ConsoleSanitizer|Scrollback)'}
LOG=.build-tsan/tsan-output.txt
mkdir -p .build-tsan
# halt_on_error=0: report every race, not just the first. Reports of every instrumented
# process (the test runner and the unitop-monitor processes it starts) go to REPORTS/tsan.PID.
REPORTS="$PWD/.build-tsan/reports"
rm -rf "$REPORTS" && mkdir -p "$REPORTS"
# libvirt is opened with dlopen on first use (Sources/CLibvirt), after TSan has set up its
# interceptors; TSan's xdrmem_create interceptor then has no real function to call (libtirpc was
# not loaded at start) and jumps to address 0 inside virConnectOpen. Loading libtirpc (a
# dependency of libvirt0) from the start gives the interceptor its target.
if ldconfig -p 2>/dev/null | grep -q 'libtirpc.so.3 '; then export LD_PRELOAD="libtirpc.so.3${LD_PRELOAD:+:$LD_PRELOAD}"; fi
# Instrumented code runs several times slower: stretch every test deadline (Wait.timeoutScale).
export UNITOP_TEST_TIMEOUT_SCALE="${UNITOP_TEST_TIMEOUT_SCALE:-4}"
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=0 second_deadlock_stack=1 history_size=4} log_path=$REPORTS/tsan"
status=0
swift test --sanitize=thread --scratch-path .build-tsan --filter "$FILTER" "$@" 2>&1 | tee "$LOG" || status=$?
races=$(cat "$REPORTS"/* "$LOG" 2>/dev/null | grep -c 'WARNING: ThreadSanitizer' || true)
echo "tsan.sh: status $status, ThreadSanitizer reports: $races (test output: $LOG, reports: $REPORTS)"
for f in "$REPORTS"/*; do [ -e "$f" ] && grep -h -A12 'WARNING: ThreadSanitizer' "$f" | grep -E 'WARNING|#[0-3] ' | head -40; done
[ "$races" -eq 0 ] || status=1
exit "$status"
