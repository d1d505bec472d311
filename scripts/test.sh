#!/usr/bin/env bash
# The test command: installs what is needed, builds fixtures and binaries, starts libvirtd and
# virtlogd, and runs the whole test suite against real QEMU, a real libvirtd and tmux.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
start=$(date +%s)

scripts/setup.sh debug
swift build --build-tests 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\]' || true
scripts/libvirt-up.sh

export UNITOP_FIXTURES="$PWD/fixtures/build"
export UNITOP_BIN="$PWD/.build/debug/unitop"
export UNITOP_MONITOR_BIN="$PWD/.build/debug/unitop-monitor"

status=0
swift test --skip-build --no-parallel "$@" 2>&1 | tee .build/test-output.txt || status=$?

echo "test.sh: finished in $(( $(date +%s) - start ))s with status $status"
exit "$status"
