// swift-tools-version:6.1
import PackageDescription

let strictSwift: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "logq",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "logqd", targets: ["logqd"]),
        .executable(name: "logq", targets: ["logq"]),
        .executable(name: "logq-bench", targets: ["logq-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // SHA-256 of backup files (docs/decisions/0004-swift-crypto-for-backup-checksums.md).
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    ],
    targets: [
        // C libraries, found with pkg-config (the Makefile installs the Debian -dev packages).
        .systemLibrary(name: "CZstd", path: "Sources/CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CLZ4", path: "Sources/CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // glibc's mallopt, for logqd's arena limit (part of the C library: nothing to link or install).
        .systemLibrary(name: "CMalloc", path: "Sources/CMalloc"),
        // A cache prefetch hint for the index builder (a compiler builtin: nothing to link or install).
        .systemLibrary(name: "CPrefetch", path: "Sources/CPrefetch"),
        // CRC-32C with the processor's instruction where it has one (a compiler builtin: nothing to link).
        .systemLibrary(name: "CCRC32C", path: "Sources/CCRC32C"),
        .systemLibrary(
            name: "CPCRE2",
            path: "Sources/CPCRE2",
            pkgConfig: "libpcre2-8",
            providers: [.apt(["libpcre2-dev"])]
        ),

        // The storage engine: records, WAL, segments, inverted index. No networking.
        .target(
            name: "LogqIndex",
            dependencies: ["CZstd", "CLZ4", "CPrefetch", "CCRC32C", .product(name: "Logging", package: "swift-log")],
            path: "Index",
            swiftSettings: strictSwift),
        // Parsing: PCRE2 binding and line decoding into records.
        .target(
            name: "LogqParsers",
            dependencies: ["CPCRE2", "LogqIndex"],
            path: "Parsers",
            exclude: ["patterns/README.md"],
            // The built-in pattern packs are compiled into the binary: logqd runs with no files beside it.
            resources: [
                "base", "springboot", "nginx", "mysql", "redis", "rabbitmq", "elasticsearch", "python",
            ].map { .embedInCode("patterns/\($0).grok") },
            swiftSettings: strictSwift
        ),
        // The query language and its executor over the store.
        .target(name: "LogqQuery", dependencies: ["LogqIndex", "LogqParsers"], swiftSettings: strictSwift),
        // Listeners that turn bytes from the network into records.
        .target(
            name: "LogqIngest",
            dependencies: [
                "LogqIndex", "LogqParsers", "CZlib",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSwift
        ),
        // Deterministic generator of realistic platform logs, for tests and benchmarks.
        .target(name: "LogqCorpus", swiftSettings: strictSwift),
        // Backups of the store: content-addressed, incremental, verified, restorable, pruned by age.
        .target(
            name: "LogqBackup",
            dependencies: ["LogqIndex", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSwift
        ),
        // Alert rules on the ingest stream, correlation into incidents, fault records in SQLite, reports.
        .target(
            name: "LogqIncidents",
            dependencies: [
                "LogqIndex", "LogqQuery",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strictSwift
        ),
        // The server wiring: configuration, HTTP API, services.
        .target(
            name: "LogqServer",
            dependencies: [
                "LogqIndex", "LogqQuery", "LogqIngest", "LogqParsers", "LogqBackup", "LogqIncidents",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "logqd",
            dependencies: [
                "LogqServer",
                "CMalloc",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "logq",
            dependencies: [
                "LogqQuery", "LogqCorpus", "LogqIndex", "LogqParsers", "LogqBackup", "LogqIncidents",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "logq-bench",
            dependencies: [
                "LogqCorpus", "LogqIndex", "LogqParsers", "LogqIngest", "LogqBackup", "LogqIncidents",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSwift
        ),

        // libFuzzer targets for every decoder of untrusted bytes; `make fuzz` builds them instrumented.
        .executableTarget(
            name: "logq-fuzz",
            dependencies: ["LogqIndex", "LogqParsers", "LogqIngest", "LogqQuery", "LogqIncidents"],
            path: "Fuzz",
            exclude: ["run.sh"],
            swiftSettings: strictSwift
        ),

        .testTarget(name: "LogqIndexTests", dependencies: ["LogqIndex"], swiftSettings: strictSwift),
        .testTarget(
            name: "LogqParsersTests", dependencies: ["LogqParsers", "LogqCorpus"], swiftSettings: strictSwift),
        .testTarget(name: "LogqIngestTests", dependencies: ["LogqIngest"], swiftSettings: strictSwift),
        .testTarget(name: "LogqQueryTests", dependencies: ["LogqQuery", "LogqIndex"], swiftSettings: strictSwift),
        .testTarget(name: "LogqBackupTests", dependencies: ["LogqBackup", "LogqIndex"], swiftSettings: strictSwift),
        .testTarget(
            name: "LogqServerTests", dependencies: ["LogqServer", "LogqIndex", "LogqQuery"], swiftSettings: strictSwift),
        .testTarget(
            name: "LogqIncidentsTests", dependencies: ["LogqIncidents", "LogqIndex", "LogqCorpus"],
            swiftSettings: strictSwift),
        .testTarget(name: "LogqCorpusTests", dependencies: ["LogqCorpus"], swiftSettings: strictSwift),
        .testTarget(name: "IntegrationTests", dependencies: ["LogqCorpus", "CZlib"], swiftSettings: strictSwift),
    ]
)
