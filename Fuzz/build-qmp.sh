#!/bin/sh
# Builds the libFuzzer target for the QMP decoder (QMPMessage.decode + LineBuffer).
#   Fuzz/build-qmp.sh                 -> .build/fuzz/qmp-decoder-fuzz
#   .build/fuzz/qmp-decoder-fuzz -max_total_time=60 -max_len=8192 .build/fuzz/corpus-qmp Fuzz/corpus/qmp
# QMPMessage.swift depends on Foundation only.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/.build/fuzz"
mkdir -p "$out"
swiftc -sanitize=fuzzer,address -use-ld=lld -parse-as-library -O -g -swift-version 6 \
    -module-name QMPDecoderFuzz \
    "$root/Fuzz/QMPDecoderFuzz/main.swift" \
    "$root/Sources/QEMUMonitor/QMPMessage.swift" \
    -o "$out/qmp-decoder-fuzz"
echo "$out/qmp-decoder-fuzz"
