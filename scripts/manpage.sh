#!/bin/sh
# Writes OUTDIR/unitop.1: the page swift-argument-parser's generate-manual makes from the command
# definitions (so options cannot drift), with its generic EXIT STATUS replaced by the hand-written
# sections of packaging/unitop.1.sections; @KEYS@ there becomes the TUI key table, printed by
# `unitop keys --mdoc` from the same key map the TUI dispatches with.
#   scripts/manpage.sh GENERATE_MANUAL UNITOP OUTDIR
set -eu
[ "$#" -eq 3 ] || { echo "usage: $0 GENERATE_MANUAL UNITOP OUTDIR" >&2; exit 2; }
gen=$1; bin=$2; out=$3
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# The commit's date, not today's: the same sources give the same page.
date=$(git -C "$root" log -1 --format=%cs 2>/dev/null || date -u +%Y-%m-%d)
"$gen" "$bin" --section 1 --date "$date" --output-directory "$tmp" >/dev/null
page="$tmp/unitop.1"
[ -s "$page" ] || { echo "manpage: generate-manual wrote no $page" >&2; exit 1; }
"$bin" keys --mdoc > "$tmp/keys.mdoc"
mkdir -p "$out"
# Everything before the generated EXIT STATUS, then our sections with the key table in place.
sed -n -e "/^\.Sh \"EXIT STATUS\"/q" -e "s/^$/.Pp/" -e p "$page" > "$out/unitop.1"
sed -e "/^@KEYS@$/{r $tmp/keys.mdoc" -e 'd;}' "$root/packaging/unitop.1.sections" >> "$out/unitop.1"
echo "$out/unitop.1"
