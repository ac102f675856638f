import Client
import Engine
import Foundation
import Logging
import NIOCore
import NIOPosix
@testable import Server
import TestSupport

/// A real server on 127.0.0.1 and a free port, over a temporary games folder
/// holding arena (from the repository) and the test games below.
final class LiveServer: Sendable {
    let server: TickwireServer
    let port: Int
    let games: URL

    /// `extraGames` (folder name → game.lua) are served beside `testGames`;
    /// `files` (path in the games folder → text) are written too.
    init(extraGames: [String: String] = [:], files: [String: String] = [:], logger custom: Logger? = nil,
         _ adjust: (inout ServerConfiguration) -> Void = { _ in }) async throws {
        games = FileManager.default.temporaryDirectory.appendingPathComponent("tw-games-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: games, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: gamesFolder + "/arena", toPath: games.appendingPathComponent("arena").path)
        for (name, source) in LiveServer.testGames.merging(extraGames, uniquingKeysWith: { $1 }) {
            let folder = games.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try source.write(to: folder.appendingPathComponent("game.lua"), atomically: true, encoding: .utf8)
        }
        for (path, text) in files {
            let url = games.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        var config = ServerConfiguration()
        config.host = "127.0.0.1"
        config.port = 0
        config.gamesFolder = games.path
        config.webFolder = nil
        config.threads = 2
        adjust(&config)
        var logger = Logger(label: "tickwire-test")
        logger.logLevel = .warning
        if let custom { logger = custom }
        server = try await TickwireServer(configuration: config, logger: logger)
        port = try await server.start()
    }

    func url(_ path: String) -> String { "ws://127.0.0.1:\(port)\(path)" }

    func connect(_ path: String, name: String? = nil, options: ClientOptions = ClientOptions()) async throws -> TickwireConnection {
        try await TickwireConnection.connect(url(path), name: name, options: options)
    }

    func stop() async {
        await server.shutdown()
        try? FileManager.default.removeItem(at: games)
    }

    /// Games written for these tests.
    static let testGames: [String: String] = [
        // Many entities whose fields all change every tick: big snapshots,
        // so a client that stops reading fills its socket quickly.
        "churn": """
        local game = { name = "churn", tick_rate = 60, max_players = 4 }
        game.state = { dot = { a = "u16", b = "u16", c = "u16", d = "u16" } }
        game.input = { x = "i8" }
        local dots = {}
        function game.init(match)
          for i = 1, 2000 do dots[i] = match:spawn("dot", { a = 0, b = 0, c = 0, d = 0 }) end
        end
        function game.join(match, player) return true end
        function game.tick(match, inputs, dt)
          for i = 1, #dots do
            local d = dots[i]
            d.a = match:random(0, 65535); d.b = match:random(0, 65535)
            d.c = match:random(0, 65535); d.d = match:random(0, 65535)
          end
        end
        return game
        """,
        // The fastest tick rate a game may have.
        "fast": """
        local game = { name = "fast", tick_rate = 120, max_players = 2 }
        game.state = { match = { n = "u16" } }
        game.input = { x = "i8" }
        function game.join(match, player) return true end
        function game.tick(match, inputs, dt) match.n = (match.n + 1) % 60000 end
        function game.init(match) match.n = 0 end
        return game
        """,
        // Counts inputs per player into the state, and broadcasts each join.
        "echo": """
        local game = { name = "echo", tick_rate = 30, max_players = 2 }
        game.state = { seat = { player = "u8", inputs = "u16", last = "i8", name = { "string", 32 } } }
        game.input = { x = "i8" }
        game.events = { joined = { player = "u8" } }
        local seats = {}
        function game.join(match, player)
          seats[player.id] = match:spawn("seat", { player = player.id, inputs = 0, last = 0, name = player.name })
          match:broadcast("joined", { player = player.id })
          return true
        end
        function game.leave(match, player)
          match:despawn(seats[player.id]); seats[player.id] = nil
        end
        function game.tick(match, inputs, dt)
          for id, input in pairs(inputs) do
            local s = seats[id]
            if s then s.inputs = s.inputs + 1; s.last = input.x end
          end
        end
        return game
        """,
    ]
}

extension TickwireConnection {
    /// Applies snapshots to `mirror` until `done` holds; fails after `limit` snapshots.
    func snapshots(into mirror: ClientMirror, limit: Int = 300, until done: (ClientMirror) -> Bool) async throws -> Bool {
        for _ in 0..<limit {
            guard let (_, bytes) = try await nextSnapshot() else { return false }
            _ = try mirror.apply(bytes)
            if done(mirror) { return true }
        }
        return false
    }
}
