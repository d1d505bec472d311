#!/usr/bin/env bash
# Regenerates docs/screenshot.png from the real TUI: starts the demo (scripts/demo.sh: setup, release
# build, demo instances), runs the UI in a private tmux server at 140x36, waits until the screen shows
# a good state (every demo instance in its state, heartbeats filling the console pane, CPU
# sparklines), captures it with colours and renders it with scripts/render-ansi.py.
#
#   scripts/screenshot.sh [--out FILE] [--cols N] [--rows N] [--theme NAME] [--timeout SECONDS]
#
# The demo instances keep running afterwards (scripts/demo.sh --clean removes them).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

out="docs/screenshot.png"
cols=140
rows=36
theme=""
timeout=120
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --cols) cols="$2"; shift 2 ;;
    --rows) rows="$2"; shift 2 ;;
    --theme) theme="$2"; shift 2 ;;
    --timeout) timeout="$2"; shift 2 ;;
    -h|--help) sed -n '2,9s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "screenshot: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

say() { printf 'screenshot: %s\n' "$*" >&2; }
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# ---- what the renderer needs: Pillow and DejaVu Sans Mono ---------------------------------------
font=/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf
python=""
find_python() {
  python=""
  for p in python3 /usr/bin/python3; do
    if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import PIL.Image' 2>/dev/null; then python="$p"; return 0; fi
  done
  return 1
}
apt_missing=()
[ -f "$font" ] || apt_missing+=(fonts-dejavu-core)
find_python || apt_missing+=(python3-pil)
command -v tmux >/dev/null 2>&1 || apt_missing+=(tmux)
if [ "${#apt_missing[@]}" -gt 0 ] && command -v apt-get >/dev/null 2>&1; then
  say "installing ${apt_missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${apt_missing[@]}" >/dev/null
fi
if ! find_python; then
  say "installing Pillow with pip"
  python3 -m pip install --user --quiet pillow
  find_python || { say "Pillow is not available (apt-get install python3-pil, or pip install pillow)"; exit 1; }
fi
[ -f "$font" ] || { say "$font is missing (apt-get install fonts-dejavu-core)"; exit 1; }

# ---- the demo: setup, build and instances, without the UI ---------------------------------------
say "preparing the demo (scripts/demo.sh)"
scripts/demo.sh ps --all >&2

# ---- the UI in a private tmux server ------------------------------------------------------------
sock="unitop-shot-$$"
work=$(mktemp -d)
cleanup() {
  tmux -L "$sock" kill-server >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
cat > "$work/tmux.conf" <<'CONF'
set -g status off
set -g default-terminal tmux-256color
set -g escape-time 10
set -g remain-on-exit on
CONF
args=()
[ -z "$theme" ] || args+=(--theme "$theme")
cmd=(env LC_ALL=C.UTF-8 LANG=C.UTF-8 scripts/demo.sh "${args[@]}")
LC_ALL=C.UTF-8 tmux -L "$sock" -f "$work/tmux.conf" new-session -d -s shot -x "$cols" -y "$rows" -c "$root" "$(printf '%q ' "${cmd[@]}")"

capture() { tmux -L "$sock" capture-pane -p -t shot "$@"; }

# A good state, checked on the plain text of the screen:
#  - every demo instance listed in the state the demo gives it, demo-hello selected;
#  - the console pane filled to its last row with demo-hello's heartbeats;
#  - CPU sparklines with a few samples.
good_state() {
  python3 - "$1" <<'PY'
import re, sys
lines = open(sys.argv[1], encoding="utf-8", errors="replace").read().split("\n")
text = "\n".join(lines)
def row(name):
    return next((l for l in lines if re.match(r"\s*" + re.escape(name) + r"\s", l)), "")
need = {"demo-hello": "running", "demo-input": "running", "demo-paused": "paused",
        "demo-rainbow": "exited", "demo-oneshot": "exited 3"}
missing = [n for n, s in need.items() if s not in row(n)]
title = next((i for i, l in enumerate(lines) if "console: demo-hello" in l), None)
status = max((i for i, l in enumerate(lines) if l.strip()), default=0)
body = lines[title + 1:status] if title is not None else []
filled = bool(body) and all(l.strip() for l in body) and "heartbeat" in body[-1]
sparks = len(re.findall("[▁▂▃▄▅▆▇█]", row("demo-hello")))
ok = not missing and filled and sparks >= 8
if not ok:
    print(f"waiting: missing={missing} console_filled={filled} sparks={sparks}", file=sys.stderr)
sys.exit(0 if ok else 1)
PY
}

say "waiting for a good screen (up to ${timeout}s)"
deadline=$((SECONDS + timeout))
last=""
while :; do
  capture > "$work/plain.txt" 2>/dev/null || true
  if good_state "$work/plain.txt" 2>"$work/why"; then break; fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    say "no good screen after ${timeout}s ($(cat "$work/why")); the screen was:"
    cat "$work/plain.txt" >&2
    exit 1
  fi
  why=$(cat "$work/why")
  [ "$why" = "$last" ] || say "$why"
  last="$why"
  sleep 0.5
done

capture -e -N > "$work/screen.ansi"
mkdir -p "$(dirname "$out")"
"$python" scripts/render-ansi.py "$work/screen.ansi" "$out" --cols "$cols" --rows "$rows" --title "unitop — scripts/demo.sh"
tmux -L "$sock" send-keys -t shot q
say "wrote $out ($(stat -c %s "$out") bytes)"
