#!/usr/bin/env bash
# The test command: installs what is needed, builds fixtures and binaries, starts libvirtd and
# virtlogd, and runs the whole test suite against real QEMU, a real libvirtd and tmux; then every
# fuzz target for UNITOP_FUZZ_SECONDS (default 10) each. Arguments go to `swift test` (e.g.
# --filter LifecycleTests). The thread sanitizer is not part of it: shared state is guarded by
# Synchronization.Mutex, whose locking ThreadSanitizer cannot see on Linux (every guarded access
# reads as a race), and the compiler checks that state instead; scripts/tsan.sh still runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
start=$(date +%s)
steps=()
mark=$start
step() { local now; now=$(date +%s); steps+=("$1=$((now - mark))s"); mark=$now; }

scripts/setup.sh debug
step setup+build
# The workload fixtures setup.sh does not build: the boot-sector disk (raw + qcow2) and the
# netguest (a Debian kernel + busybox initramfs, downloaded with apt-get into ~/.cache/unitop on
# the first run, cached after). Without the netguest (no mirror reachable) the suites still run;
# the tests that boot it report it missing.
make -s -C fixtures disks
make -s -C fixtures netguest || echo "test.sh: the netguest fixture could not be built (see above)" >&2
step fixtures
swift build --build-tests 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\]' || true
step build-tests
scripts/libvirt-up.sh
step libvirtd

export UNITOP_FIXTURES="$PWD/fixtures/build"
export UNITOP_BIN="$PWD/.build/debug/unitop"
export UNITOP_MONITOR_BIN="$PWD/.build/debug/unitop-monitor"

# Serialized: the suites boot real guests; on two cores, running them side by side only
# trades speed for timeouts.
status=0
swift test --skip-build --no-parallel "$@" 2>&1 | tee .build/test-output.txt || status=$?
passed=$(grep -cE '^✔ Test .*passed' .build/test-output.txt || true)
failed=$(grep -E '^✘ Test .* failed after' .build/test-output.txt | grep -cv '^✘ Test run' || true)
step tests

if [ "$#" -eq 0 ]; then
  scripts/fuzz.sh "${UNITOP_FUZZ_SECONDS:-10}" || { echo "test.sh: fuzzing found a crash"; status=1; failed=$((failed + 1)); }
  step fuzz
fi

# Where the time went: each suite's own time, slowest first (Swift Testing's "Suite X passed after
# N seconds" lines), then each step of this script.
echo "test.sh: suite times (seconds)"
grep -hE '^[✔✘] Suite .* after [0-9.]+ seconds' .build/test-output.txt 2>/dev/null \
  | sed -E 's/^[✔✘] Suite (.*) (passed|failed) after ([0-9.]+) seconds.*/\3 \1/' | sort -rn | head -40 \
  | awk '{ t = $1; $1 = ""; printf "  %8.1f %s\n", t, $0 }'
printf 'test.sh: steps: %s\n' "${steps[*]}"

# What failed, last, where a CI log's tail shows it: the failing tests and their recorded issues.
for out in .build/test-output.txt; do
  [ -f "$out" ] || continue
  if grep -qE '^✘ ' "$out"; then
    echo "test.sh: failures in $out:"
    grep -E '^✘ (Test|Suite) .*(failed|recorded an issue)' "$out" | grep -v '^✘ Test run' | head -40
  fi
done
echo "test.sh: finished in $(( $(date +%s) - start ))s with status $status"
echo "unitop: $passed passed, $failed failed"
exit "$status"
