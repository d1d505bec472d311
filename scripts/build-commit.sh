#!/bin/sh
# Prints the commit a build is made from (12 hex digits, "-dirty" when tracked files changed),
# or "unknown" outside a git checkout. `make release` compiles it into `unitop --version`.
cd "$(dirname "$0")/.." || exit 0
commit=$(git rev-parse --short=12 HEAD 2>/dev/null) || { echo unknown; exit 0; }
git diff --quiet HEAD -- 2>/dev/null || commit="$commit-dirty"
echo "$commit"
