// swift-tools-version: 6.1
// The benchmark harness: its own package so the root package's `swift test` never builds it.
// Run everything (in-process and end-to-end) with `make bench` / `bash scripts/bench.sh`;
// in-process only: `swift package --package-path Benchmarks benchmark`.
import PackageDescription

let package = Package(
    name: "UnitopBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "unitop", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // Console engine (sanitize + scrollback append) against a plain byte copy of the same corpus.
        .executableTarget(
            name: "ConsoleEngine",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "UnitopModels", package: "unitop"),
            ],
            path: "Benchmarks/ConsoleEngine",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // The TUI's pure render + grid diff: 1,000 rows and a full console pane; scrolling cost.
        .executableTarget(
            name: "Render",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "UnitopModels", package: "unitop"),
                .product(name: "UnitopTUI", package: "unitop"),
            ],
            path: "Benchmarks/Render",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // Helper for the end-to-end benchmarks: writes the console corpus to a file.
        .executableTarget(
            name: "unitop-bench-tool",
            dependencies: [.product(name: "UnitopModels", package: "unitop")],
            path: "Sources/unitop-bench-tool"
        ),
    ],
    swiftLanguageModes: [.v6]
)
