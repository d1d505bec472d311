#!/usr/bin/env bash
# The main job: sets everything up, starts two demo unikernels on the qemu backend (unless they
# already run) and opens the TUI on them. Instances keep running after you quit (q);
# `scripts/demo.sh --clean` stops and removes them.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
scripts/setup.sh release >&2

demo="$PWD/.demo"
mkdir -p "$demo"
chmod 700 "$demo"
cat > "$demo/config.toml" <<TOML
image_dirs = ["$PWD/fixtures/build"]
TOML
export UNITOP_HOME="$demo/state"
unitop=(".build/release/unitop" --config "$demo/config.toml")

if [ "${1:-}" = "--clean" ]; then
  for n in demo-hello demo-echo demo-exit; do "${unitop[@]}" rm --force "$n" >/dev/null 2>&1 || true; done
  exit 0
fi

running=$("${unitop[@]}" ps --all --json 2>/dev/null || echo "[]")
start_demo() { # name image append
  if ! grep -q "\"name\":\"$1\"" <<<"$running"; then
    "${unitop[@]}" run "$2" --name "$1" --append "$3" --detach >/dev/null
  fi
}
start_demo demo-hello hello ""
start_demo demo-echo hello "heartbeat_ms=3000"
start_demo demo-exit exit "code=3"
exec "${unitop[@]}" "$@"
