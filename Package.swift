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
        .target(name: "Bots", dependencies: ["Engine", "Lua"]),
        .executableTarget(
            name: "tickwire",
            dependencies: [
                "Engine", "Bots",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Fuzz targets, one per decoder (docs/fuzzing.md). A normal build
        // makes corpus replayers; scripts/fuzz builds them with libFuzzer.
        .target(name: "FuzzSupport", dependencies: ["Protocol"], path: "Fuzz/Support"),
        .executableTarget(name: "FuzzSnapshot", dependencies: ["FuzzSupport", "Protocol"], path: "Fuzz/FuzzSnapshot"),
        .executableTarget(name: "FuzzWelcome", dependencies: ["FuzzSupport", "Protocol"], path: "Fuzz/FuzzWelcome"),
        .executableTarget(name: "FuzzSchema", dependencies: ["FuzzSupport", "Protocol"], path: "Fuzz/FuzzSchema"),
        .executableTarget(name: "FuzzClientMessage", dependencies: ["FuzzSupport", "Protocol"], path: "Fuzz/FuzzClientMessage"),
        .executableTarget(name: "FuzzError", dependencies: ["FuzzSupport", "Protocol"], path: "Fuzz/FuzzError"),
        // Fixtures shared by the test targets: game folders, log capture.
        .target(name: "TestSupport", dependencies: ["Engine"], path: "Tests/TestSupport"),
        .testTarget(name: "LuaTests", dependencies: ["Lua"]),
        .testTarget(name: "ProtocolTests", dependencies: ["Protocol"]),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "Lua", "TestSupport"]),
        .testTarget(name: "BotsTests", dependencies: ["Bots", "Engine", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["tickwire", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
