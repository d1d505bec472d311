#!/bin/sh
# Builds the libFuzzer target for the console sanitizer and scrollback.
#   Fuzz/build-console.sh                 -> .build/fuzz/console-sanitizer-fuzz
#   .build/fuzz/console-sanitizer-fuzz -max_total_time=60 Fuzz/corpus/console
# The console engine files have no dependencies besides the standard library.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
models="$root/Sources/Models"
out="$root/.build/fuzz"
mkdir -p "$out"
swiftc -sanitize=fuzzer,address -parse-as-library -O -g -swift-version 6 \
    -module-name ConsoleSanitizerFuzz \
    "$root/Fuzz/ConsoleSanitizerFuzz/main.swift" \
    "$models/ConsoleSanitizerSink.swift" "$models/ConsoleLineStore.swift" "$models/ConsoleLimits.swift" "$models/ConsoleParserTable.swift" "$models/ConsoleSanitizer.swift" \
    "$models/ConsoleText.swift" "$models/UTF8Repair.swift" "$models/SGR.swift" "$models/ConsoleStyle.swift" \
    "$models/ConsoleLine.swift" "$models/ConsoleLineBuilder.swift" "$models/Scrollback.swift" \
    "$models/ScrollbackSearch.swift" "$models/ConsoleEngine.swift" "$models/ConsoleOutputCheck.swift" \
    -o "$out/console-sanitizer-fuzz"
echo "$out/console-sanitizer-fuzz"
