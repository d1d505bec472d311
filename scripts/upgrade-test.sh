#!/usr/bin/env bash
# Upgrade test: guests started by the previous release keep being managed after an upgrade.
# Builds the previous release (tag v0.1.0, or UNITOP_PREVIOUS=REV) in its own worktree
# (.build-previous/src), starts guests with it, then lists, attaches to (tmux), reads the logs of,
# pauses, resumes, stops and removes them with this tree's binaries (UNITOP_BIN, UNITOP_MONITOR_BIN,
# default .build/debug). Leaves nothing behind but the build cache. Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export PATH="/opt/swift/usr/bin:$PATH"
# v0.1.0 is the commit below; the hash is used when this clone lacks the tag.
PREVIOUS=${UNITOP_PREVIOUS:-v0.1.0}
git rev-parse -q --verify "$PREVIOUS^{commit}" >/dev/null || PREVIOUS=c20dc3f
NEW=${UNITOP_BIN:-$ROOT/.build/debug/unitop}
NEW_MONITOR=${UNITOP_MONITOR_BIN:-$ROOT/.build/debug/unitop-monitor}
[ -x "$NEW" ] && [ -x "$NEW_MONITOR" ] || { echo "upgrade-test: build this tree first (swift build)" >&2; exit 1; }
make -s -C fixtures >/dev/null

old_src=$ROOT/.build-previous/src
if [ "$(git -C "$old_src" rev-parse HEAD 2>/dev/null)" != "$(git rev-parse "$PREVIOUS^{commit}")" ]; then
    git worktree remove --force "$old_src" 2>/dev/null; rm -rf "$old_src"
    git worktree prune
    git worktree add --detach "$old_src" "$PREVIOUS" >/dev/null 2>&1 || { echo "upgrade-test: cannot check out $PREVIOUS" >&2; exit 1; }
fi
echo "upgrade-test: building the previous release ($PREVIOUS) in $old_src"
(cd "$old_src" && swift build 2>&1 | grep -E 'error|Compiling|Build complete' | grep -v '^\[' | tail -2)
OLD=$old_src/.build/debug/unitop
OLD_MONITOR=$old_src/.build/debug/unitop-monitor
[ -x "$OLD" ] && [ -x "$OLD_MONITOR" ] || { echo "upgrade-test: the previous release did not build" >&2; exit 1; }

home=$(mktemp -d /tmp/ut-upgrade-XXXXXX)
export UNITOP_HOME=$home/state XDG_CONFIG_HOME=$home/config XDG_DATA_HOME=$home/data UNITOP_RUNTIME_DIR=$home/run
. "$ROOT/scripts/check-lib.sh"
new() { UNITOP_MONITOR_BIN=$NEW_MONITOR "$NEW" "$@"; }
old() { UNITOP_MONITOR_BIN=$OLD_MONITOR "$OLD" "$@"; }
wait_log() {  # wait_log NAME TEXT [SECONDS]
    local end=$(( $(date +%s) + ${3:-30} ))
    until new logs "$1" --raw 2>/dev/null | grep -qF "$2"; do [ "$(date +%s)" -lt "$end" ] || return 1; sleep 0.2; done
}
cleanup() {
    for n in up-hello up-idle; do new rm --force "$n" >/dev/null 2>&1 || old rm --force "$n" >/dev/null 2>&1; done
    tmux -S "$home/tmux.sock" kill-server 2>/dev/null
    pkill -KILL -f "$home" 2>/dev/null
    rm -rf "$home"
}
trap cleanup EXIT

echo "upgrade-test: $("$OLD" --version) starts the guests; $("$NEW" --version) manages them"
check "the previous release starts hello" old run "$ROOT/fixtures/build/hello.elf" --name up-hello --accel tcg --detach
check "the previous release starts idle" old run "$ROOT/fixtures/build/idle.elf" --name up-idle --accel tcg --detach
check "new ps lists the old guests running" wait_state "$NEW" up-hello running
check "new ps lists idle running" wait_state "$NEW" up-idle running
check "new logs read the old console log from boot" wait_log up-hello "unitop-fixture hello booted"
check "new inspect reads the old spec" sh -c "UNITOP_MONITOR_BIN='$NEW_MONITOR' '$NEW' inspect up-hello | grep -q hello.elf"
check "new pause reaches the old monitor" new pause up-hello
check "paused" wait_state "$NEW" up-hello paused
check "new resume" new resume up-hello
check "running again" wait_state "$NEW" up-hello running

# Attach with the new binary (a real terminal: tmux), type, see the old guest echo, detach.
attached() {
    local end=$(( $(date +%s) + 20 ))
    until tmux -S "$home/tmux.sock" capture-pane -p -t t 2>/dev/null | grep -q "attached to up-hello"; do
        [ "$(date +%s)" -lt "$end" ] || return 1; sleep 0.2
    done
}
tmux -S "$home/tmux.sock" new-session -d -s t -x 100 -y 30 "UNITOP_MONITOR_BIN='$NEW_MONITOR' '$NEW' console up-hello"
check "new console attaches to the old guest" attached
tmux -S "$home/tmux.sock" send-keys -t t "upgraded" Enter
check "typed input reaches the old guest" wait_log up-hello "you typed: upgraded"
tmux -S "$home/tmux.sock" send-keys -t t C-]
check "the guest keeps running after detach" wait_state "$NEW" up-hello running

check "new stop escalates on the old monitor" new stop up-hello --timeout 1
check "stopped" wait_state "$NEW" up-hello stopped
check "new kill" new kill up-idle
check "killed" wait_state "$NEW" up-idle stopped
check "new rm removes the old hello" new rm up-hello
check "new rm removes the old idle" new rm up-idle
check "nothing left" sh -c "[ \"\$(UNITOP_MONITOR_BIN='$NEW_MONITOR' '$NEW' ps --all --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')\" = 0 ]"
echo "upgrade: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
