// swift-tools-version:6.0
import PackageDescription

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
        .target(name: "Lua", dependencies: ["CLua"]),
        .target(name: "Engine", dependencies: ["Lua"]),
        .target(name: "Bots", dependencies: ["Engine", "Lua"]),
        .executableTarget(
            name: "tickwire",
            dependencies: [
                "Engine", "Bots",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "LuaTests", dependencies: ["Lua"]),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "Lua"]),
        .testTarget(name: "BotsTests", dependencies: ["Bots", "Engine"]),
    ],
    swiftLanguageModes: [.v6]
)
