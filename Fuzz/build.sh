#!/bin/sh
# Builds one libFuzzer target with swiftc (not SwiftPM), from the Models sources it needs.
#
#   Fuzz/build.sh image    -> Fuzz/.build/ImageInspectorFuzz
#   Fuzz/build.sh config   -> Fuzz/.build/ConfigFuzz   (also compiles TOMLKit and its C++ toml++ shim)
#
# Run, e.g.:
#   Fuzz/.build/ImageInspectorFuzz -max_total_time=60 -max_len=70000 Fuzz/.build/corpus-image Fuzz/corpus/image
#   Fuzz/.build/ConfigFuzz -detect_leaks=0 -max_total_time=60 -max_len=4096 Fuzz/.build/corpus-config Fuzz/corpus/config
# (the first corpus directory receives new inputs; the checked-in seeds stay untouched)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT="$ROOT/Fuzz/.build"
M="$ROOT/Sources/Models"
SAN="-sanitize=fuzzer,address -use-ld=lld"
mkdir -p "$OUT"

case "${1:-}" in
image)
    swiftc $SAN -parse-as-library -swift-version 6 -O -g -module-name ImageInspectorFuzz \
        "$ROOT/Fuzz/ImageInspectorFuzz/main.swift" \
        "$M/ImageInspector.swift" "$M/ImageNaming.swift" "$M/ByteSource.swift" \
        "$M/ELFHeader.swift" "$M/ELFNotes.swift" "$M/ELFSections.swift" "$M/MultibootHeader.swift" \
        "$M/QCOW2Header.swift" "$M/Formatting.swift" "$M/Image.swift" "$M/Image+Kind.swift" \
        "$M/Workload/"*.swift "$M/UnitopError.swift" "$M/InstanceState.swift" "$M/LaunchSpec.swift" \
        "$M/LaunchLimits.swift" "$M/InstanceName.swift" "$M/MemorySize.swift" "$M/FileStatus.swift" \
        -o "$OUT/ImageInspectorFuzz"
    echo "$OUT/ImageInspectorFuzz"
    ;;
config)
    # TOMLKit comes from the SwiftPM checkout (run `swift package resolve` once).
    TK="$ROOT/.build/checkouts/TOMLKit/Sources"
    [ -d "$TK/TOMLKit" ] || { echo "no TOMLKit checkout at $TK: run 'swift package resolve'" >&2; exit 1; }
    CLANGXX=$(dirname "$(command -v swiftc)")/clang++
    [ -x "$CLANGXX" ] || CLANGXX=clang++
    mkdir -p "$OUT/ctoml" "$OUT/modules"
    for f in "$TK"/CTOML/Sources/*.cpp; do
        o="$OUT/ctoml/$(basename "$f" .cpp | tr -c 'A-Za-z0-9\n' '_').o"
        [ "$o" -nt "$f" ] || "$CLANGXX" -w -std=c++17 -O1 -g -fsanitize=fuzzer-no-link,address -DTOML_EXCEPTIONS=1 \
            -I "$TK/CTOML/include" -c "$f" -o "$o"
    done
    # TOMLKit's directories have spaces in their names: copy the sources to flat, space-free names.
    rm -rf "$OUT/tomlkit-src" && mkdir -p "$OUT/tomlkit-src"
    (cd "$TK/TOMLKit" && find . -name '*.swift' | while IFS= read -r f; do
        cp "$f" "$OUT/tomlkit-src/$(echo "${f#./}" | tr ' /&+' '____')"
    done)
    swiftc $SAN -parse-as-library -swift-version 5 -O -g -wmo -suppress-warnings -module-name TOMLKit \
        -I "$TK/CTOML/include" -emit-module -emit-module-path "$OUT/modules/TOMLKit.swiftmodule" \
        -emit-object -o "$OUT/TOMLKit.o" "$OUT"/tomlkit-src/*.swift
    swiftc $SAN -parse-as-library -swift-version 6 -O -g -module-name ConfigFuzz \
        -I "$OUT/modules" -I "$TK/CTOML/include" \
        "$ROOT/Fuzz/ConfigFuzz/main.swift" \
        "$M/Config.swift" "$M/ConfigLoader.swift" "$M/TOMLDocument.swift" "$M/TOMLPreflight.swift" "$M/SidecarLoader.swift" \
        "$M/BoundedFile.swift" "$M/FileStatus.swift" "$M/TOMLTableReader.swift" "$M/UnitopError.swift" "$M/InstanceState.swift" "$M/LaunchSpec.swift" \
        "$M/MemorySize.swift" "$M/Image.swift" "$M/LaunchResolver.swift" "$M/LaunchLimits.swift" "$M/BackendKind.swift" "$M/InstanceName.swift" \
        "$M/Workload/"*.swift "$M/Image+Kind.swift" "$M/QCOW2Header.swift" "$M/ByteSource.swift" "$M/Formatting.swift" \
        "$OUT/TOMLKit.o" "$OUT"/ctoml/*.o -lstdc++ \
        -o "$OUT/ConfigFuzz"
    echo "$OUT/ConfigFuzz"
    ;;
*)
    echo "usage: $0 image|config" >&2
    exit 2
    ;;
esac
