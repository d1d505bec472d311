#!/usr/bin/env bash
# The README's first command: installs what is missing (scripts/setup.sh), builds unitop (release),
# starts a few demo unikernels on the qemu backend and opens the TUI on them.
#
#   scripts/demo.sh [UNITOP ARGS...]   e.g. --theme light, --readonly, or a subcommand: ps --all
#   scripts/demo.sh --clean            stop and remove every instance of the demo, and .demo/
#   UNITOP_DEMO_MACHINE=pc scripts/demo.sh   another QEMU machine for new demo instances (default microvm)
#
# Everything lives in .demo/ under the repository (its own UNITOP_HOME and config), so your own
# instances are never touched. The guests outlive the UI: q quits and they keep running; the next
# run reuses them (long-running ones that ended are started again) and, when no source changed
# since the last build, skips setup and build (UNITOP_DEMO_REBUILD=1 forces them) and opens at once.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

demo="$root/.demo"
config="$demo/config.toml"
export UNITOP_HOME="$demo/state"
unitop_bin="$root/.build/release/unitop"
unitop=("$unitop_bin" --config "$config")

say() { printf 'demo: %s\n' "$*" >&2; }

usage() {
  sed -n '2,12s/^# \{0,1\}//p' "$0"
}

# ---- the demo instances ------------------------------------------------------------------------
# name | image | kernel command line | kind: "service" is restarted when it has ended,
# "oneshot" is meant to end (its exit code is the point) and is left as it is.
# The UI sorts by name and selects the first row: demo-hello, whose heartbeats show the live console.
demo_instances=(
  "demo-hello|hello|heartbeat_ms=1000|service"
  "demo-input|hello|heartbeat=0|service"
  "demo-paused|hello|heartbeat_ms=500|service"
  "demo-rainbow|flood|bytes=6400 color=1|oneshot"
  "demo-oneshot|exit|code=3|oneshot"
)
# Under KVM the pc machine's BIOS takes seconds; microvm boots in milliseconds (TCG: both are fast).
machine="${UNITOP_DEMO_MACHINE:-microvm}"
# Longest wait for a guest to print what the demo waits for (a loaded host under TCG is slow).
wait_seconds=30

write_config() {
  mkdir -p "$demo"
  chmod 700 "$demo"
  # image_dirs is relative to this file's directory, so any repository path works.
  cat > "$config.tmp" <<'TOML'
# Written by scripts/demo.sh: the demo's own config (its state is in .demo/state).
image_dirs = ["../fixtures/build"]

[qemu]
accel = "auto"
TOML
  mv "$config.tmp" "$config"
}

# State of one instance ("" when unknown) from `unitop ps --all --json`.
instance_state() { # json name
  python3 - "$1" "$2" <<'PY'
import json, sys
try:
    rows = json.loads(sys.argv[1])
except ValueError:
    rows = []
print(next((r.get("state", "") for r in rows if isinstance(r, dict) and r.get("name") == sys.argv[2]), ""))
PY
}

# Waits until NAME's console log contains PATTERN (a fixed string); false after the deadline.
wait_for_output() { # name pattern
  local deadline=$((SECONDS + wait_seconds))
  while [ "$SECONDS" -lt "$deadline" ]; do
    if "${unitop[@]}" logs "$1" 2>/dev/null | grep -qF -- "$2"; then return 0; fi
    sleep 0.2
  done
  say "$1 did not print '$2' within ${wait_seconds}s (see: scripts/demo.sh logs $1)"
  return 1
}

start_instance() { # name image append
  local err
  if err=$("${unitop[@]}" run "$2" --name "$1" --append "$3" --machine "$machine" --accel auto --detach 2>&1 >/dev/null); then
    return 0
  fi
  say "could not start $1: $err"
  return 1
}

# Extra touches on freshly started instances, so the first screen shows what unitop does.
decorate() { # name
  case "$1" in
    demo-input)  # type a line into the guest, as `a` (attach) in the UI would
      wait_for_output demo-input "unitop-fixture hello booted" || return 0
      printf 'hello from scripts/demo.sh\r\035' | "${unitop[@]}" console demo-input >/dev/null 2>&1 || true ;;
    demo-paused)  # a few heartbeats, then pause it (p resumes it in the UI)
      wait_for_output demo-paused "heartbeat 4" || true
      "${unitop[@]}" pause demo-paused >/dev/null 2>&1 || say "could not pause demo-paused" ;;
  esac
}

clean() {
  if [ ! -d "$demo/state" ]; then say "nothing to clean"; rm -rf "$demo"; return 0; fi
  [ -x "$unitop_bin" ] || { say "building unitop to stop the demo instances"; scripts/setup.sh release >&2; }
  write_config
  local names failed=0
  names=$("${unitop[@]}" ps --all --json | python3 -c 'import json,sys; print("\n".join(r["name"] for r in json.load(sys.stdin)))')
  for n in $names; do
    if "${unitop[@]}" rm --force "$n" >/dev/null; then say "removed $n"; else failed=1; fi
  done
  if [ "$failed" -ne 0 ]; then say "some instances could not be removed; .demo/ is kept"; return 1; fi
  rm -rf "$demo"
  say "clean"
}

case "${1:-}" in
  --clean) clean; exit $? ;;
  -h|--help) usage; exit 0 ;;
esac

# True when the release binaries and fixtures exist and nothing they are built from is newer.
up_to_date() {
  local b
  for b in "$unitop_bin" "$root/.build/release/unitop-monitor" fixtures/build/hello.elf fixtures/build/flood.elf fixtures/build/exit.elf; do
    [ -e "$b" ] || return 1
  done
  [ -z "$(find Package.swift Sources fixtures/src fixtures/sidecars fixtures/Makefile -newer "$unitop_bin" -print -quit 2>/dev/null)" ] &&
    [ -z "$(find fixtures/src fixtures/sidecars fixtures/Makefile -newer fixtures/build/hello.elf -print -quit 2>/dev/null)" ]
}

export PATH="/opt/swift/usr/bin:$PATH"
if [ "${UNITOP_DEMO_REBUILD:-0}" = 1 ] || ! up_to_date; then
  say "checking packages and building (release; the first build takes several minutes)"
  scripts/setup.sh release >&2
fi
write_config

ps_json=$("${unitop[@]}" ps --all --json)
started=()
for entry in "${demo_instances[@]}"; do
  IFS='|' read -r name image append kind <<<"$entry"
  state=$(instance_state "$ps_json" "$name")
  case "$state" in
    "") ;;
    running|starting|paused|stopping|created) continue ;;
    *)  # stopped, exited or crashed
      [ "$kind" = oneshot ] && continue
      say "$name has $state: starting it again"
      "${unitop[@]}" rm --force "$name" >/dev/null || { say "could not remove $name"; continue; } ;;
  esac
  start_instance "$name" "$image" "$append" && started+=("$name")
done
[ "${#started[@]}" -eq 0 ] || say "started ${started[*]} (machine $machine, accel auto)"
for name in "${started[@]}"; do decorate "$name"; done

if [ $# -eq 0 ] || [ "${1#-}" != "$1" ] || [ "$1" = tui ]; then
  say "opening the UI: q quits (the guests keep running), ? lists every key; scripts/demo.sh --clean removes them"
fi
exec "${unitop[@]}" "$@"
