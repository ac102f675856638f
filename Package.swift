// swift-tools-version:6.0
import Foundation
import PackageDescription

/// Lua's static archive, when the system has it (Debian's liblua5.4-dev does):
/// calls inside the VM then skip the shared library's PLT, and rules run about
/// 10% faster. Without it, the shared library is used.
let luaArchive = ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib"]
    .map { $0 + "/liblua5.4.a" }
    .first { FileManager.default.fileExists(atPath: $0) }
let luaLinkerSettings: [LinkerSetting] = luaArchive.map { [.unsafeFlags(["-Xlinker", "--as-needed", $0])] } ?? []

let package = Package(
    name: "Tickwire",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "tickwire", targets: ["tickwire"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.7.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CLua",
            pkgConfig: "lua5.4",
            providers: [.apt(["liblua5.4-dev"])]
        ),
        .target(name: "Lua", dependencies: ["CLua"], linkerSettings: luaLinkerSettings),
        .target(name: "Protocol"),
        .target(name: "Engine", dependencies: ["Lua", "Protocol"]),
        // RFC 6455 on top of NIOWebSocket's frame codec: the one layer both the
        // server and the Swift client speak through.
        .target(name: "WebSocket", dependencies: [
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOWebSocket", package: "swift-nio"),
        ]),
        // A Tickwire client over a real socket: network bots and load runs.
        .target(name: "Client", dependencies: [
            "Protocol", "WebSocket",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOWebSocket", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),
        // A cluster of servers on PostgreSQL: nodes, their load and their
        // matches in the database (`serve --cluster`).
        .target(name: "Cluster", dependencies: [
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "Server", dependencies: [
            "Engine", "Lua", "WebSocket", "Cluster",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOWebSocket", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "JWTKit", package: "jwt-kit"),
        ]),
        .target(name: "Bots", dependencies: [
            "Engine", "Lua", "Client",
            .product(name: "Histogram", package: "hdrhistogram-swift"),
        ]),
        .executableTarget(
            name: "tickwire",
            dependencies: [
                "Engine", "Bots", "Server", "Cluster",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The fan-out floor (docs/benchmarks.md): a plain C epoll server and
        // load generator that `tickwire bench --fan-out` measures Tickwire against.
        .executableTarget(name: "tickwire-floor", path: "Bench/Floor"),
        // Fuzz targets, one per decoder (docs/fuzzing.md). A normal build
        // makes corpus replayers; scripts/fuzz builds them with libFuzzer.
        .target(name: "FuzzSupport", dependencies: ["Protocol"], path: "Fuzz/Support"),
        .executableTarget(name: "FuzzSnapshot", dependencies: ["FuzzSupport", "Protocol"], path: "Fuzz/FuzzSnapshot"),
        .executableTarget(name: "FuzzWelcome", dependencies: ["FuzzSupport", "Protocol"], path: "Fuzz/FuzzWelcome"),
        .executableTarget(name: "FuzzSchema", dependencies: ["FuzzSupport", "Protocol"], path: "Fuzz/FuzzSchema"),
        .executableTarget(name: "FuzzClientMessage", dependencies: ["FuzzSupport", "Protocol"], path: "Fuzz/FuzzClientMessage"),
        .executableTarget(name: "FuzzError", dependencies: ["FuzzSupport", "Protocol"], path: "Fuzz/FuzzError"),
        // Its seeds come from ProtocolTestSupport's random replay logs.
        .executableTarget(name: "FuzzReplay", dependencies: ["FuzzSupport", "Protocol", "ProtocolTestSupport"], path: "Fuzz/FuzzReplay"),
        // Fixtures shared by the test targets: game folders, log capture.
        .target(name: "TestSupport", dependencies: ["Engine"], path: "Tests/TestSupport"),
        // Random schemas and values over the whole protocol, for the protocol
        // tests and the shared test vectors.
        .target(name: "ProtocolTestSupport", dependencies: ["Protocol"], path: "Tests/ProtocolTestSupport"),
        .testTarget(name: "LuaTests", dependencies: ["Lua"]),
        .testTarget(name: "ProtocolTests", dependencies: ["Protocol", "ProtocolTestSupport"]),
        // Tests/vectors/protocol-v2.json: the protocol test vectors other
        // clients check their decoders against (scripts/vectors writes them).
        .testTarget(name: "VectorTests", dependencies: ["Protocol", "ProtocolTestSupport", "Engine", "Bots", "TestSupport"]),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "Lua", "TestSupport"]),
        .testTarget(name: "BotsTests", dependencies: ["Bots", "Engine", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["tickwire", "TestSupport", "Client", "WebSocket", "Engine"]),
        .testTarget(name: "WebSocketTests", dependencies: [
            "WebSocket",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOWebSocket", package: "swift-nio"),
        ]),
        // Live servers on port 0 with real clients (the Swift client, Python's websockets).
        .testTarget(name: "ServerTests", dependencies: [
            "Server", "Client", "Bots", "TestSupport", "WebSocket", "Cluster",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)
