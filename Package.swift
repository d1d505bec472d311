// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "unitop",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "unitop", targets: ["unitop"]),
        .executable(name: "unitop-monitor", targets: ["unitop-monitor"]),
        .library(name: "UnitopTesting", targets: ["UnitopTesting"]),
        // For the benchmark package (Benchmarks/), which imports these modules.
        .library(name: "UnitopModels", targets: ["Models"]),
        .library(name: "UnitopTUI", targets: ["TUI"]),
    ],
    dependencies: [
        // Command line parsing, help and shell completions.
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // Structured logging (to a file under the state directory).
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // TOML parsing for config.toml, image sidecars and themes.
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        // Deque: the TUI's per-instance CPU history (a bounded window for the sparklines).
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
    ],
    targets: [
        // ncursesw, with C shims for macros (A_BOLD, KEY_F, ACS_*) and globals (stdscr, LINES).
        .target(
            name: "CNCursesW",
            linkerSettings: [.linkedLibrary("ncursesw"), .linkedLibrary("tinfo")]
        ),
        // The libvirt C API: headers from libvirt-dev; libvirt.so.0 (libvirt0) is loaded with
        // dlopen on first use, so processes that never touch libvirt do not pay for its ~55
        // shared libraries at startup.
        .target(name: "CLibvirt", linkerSettings: [.linkedLibrary("dl")]),
        // SHA-256 from OpenSSL's libcrypto (Debian `libssl-dev`; libssl3 at run time): content
        // hashes of images uploaded to remote libvirt hosts.
        .target(name: "CSHA256", linkerSettings: [.linkedLibrary("crypto")]),
        // Small POSIX helpers that cannot be written safely in Swift (fork/exec with prctl, etc.).
        .target(name: "CUnitopSys"),
        // Pure value types, image inspection, console sanitizer and scrollback, config.
        .target(
            name: "Models",
            dependencies: [
                .product(name: "TOMLKit", package: "TOMLKit"),
            ]
        ),
        // The per-instance QEMU supervisor: owns one QEMU process, its QMP socket and its console
        // (log from the first byte, many viewers), records the exit. Runs as `unitop-monitor`.
        .target(name: "QEMUMonitor", dependencies: ["Models", "CUnitopSys"]),
        .executableTarget(name: "unitop-monitor", dependencies: ["QEMUMonitor"]),
        // Developer tool: draws a test pattern through the ncurses driver (the tmux tests' subject).
        .executableTarget(name: "unitop-termcheck", dependencies: ["TUI"]),
        // The QEMU and libvirt implementations of Models' UnikernelBackend protocol.
        .target(
            name: "Backends",
            dependencies: [
                "Models", "QEMUMonitor", "CLibvirt", "CUnitopSys", "CSHA256",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // State, actions, reducer, views, cell grid, ncurses driver, themes.
        .target(
            name: "TUI",
            dependencies: [
                "Models", "CNCursesW", .product(name: "Logging", package: "swift-log"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "DequeModule", package: "swift-collections"),
            ]
        ),
        // The executable: argument parsing and subcommands.
        .executableTarget(
            name: "unitop",
            dependencies: [
                "Models", "Backends", "TUI", "CUnitopSys",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Test helpers shipped as their own target: fixture paths, temporary homes,
        // waiting for a condition with a deadline, running the real binary, tmux.
        .target(name: "UnitopTesting", dependencies: ["Models"]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "UnitopTesting"]),
        .testTarget(name: "BackendsTests", dependencies: ["Backends", "QEMUMonitor", "Models", "UnitopTesting"]),
        .testTarget(name: "TUITests", dependencies: [
            "TUI", "Models", "Backends", "UnitopTesting", .product(name: "Logging", package: "swift-log"),
            .product(name: "DequeModule", package: "swift-collections"),
        ]),
        .testTarget(name: "UnitopCLITests", dependencies: ["Models", "UnitopTesting"]),
    ],
    swiftLanguageModes: [.v6]
)
