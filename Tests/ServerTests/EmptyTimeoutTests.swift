import Client
import Engine
import Foundation
@testable import Server
import Testing
import TestSupport

/// `game.empty_timeout` on a live server, on the injected clock: a game's
/// own timeout wins over the server's, and `false` keeps an empty match.
/// (The server's own timeout: `PlayTests`.)
@Suite(.timeLimit(.minutes(1))) struct EmptyTimeoutTests {
    private static func game(_ name: String, emptyTimeout: String) -> String {
        """
        local game = { name = "\(name)", max_players = 4, empty_timeout = \(emptyTimeout) }
        game.state = { member = { seat = "u8" } }
        function game.tick() end
        return game
        """
    }

    private static func liveServer(_ clock: ManualClock) async throws -> LiveServer {
        try await LiveServer(extraGames: ["rooms": game("rooms", emptyTimeout: "false"),
                                          "quick": game("quick", emptyTimeout: "5")]) {
            $0.resumeGrace = .zero
            $0.emptyMatchTimeout = .seconds(60)
            $0.clock = clock.serverClock
        }
    }

    /// Joins `game` and leaves at once; the match, now empty, and its host.
    private static func emptyMatch(_ live: LiveServer, game: String) async throws -> MatchHost {
        let ann = try await live.connect("/play?game=\(game)", name: "Ann")
        let host = try #require(live.server.directory.host(id: try await ann.welcome.matchID))
        _ = await ann.close()
        #expect(try await eventually { host.summary.players == 0 })
        return host
    }

    /// Lets the match run a few ticks at the clock's time, so it looks at it.
    private static func ticks(_ host: MatchHost) async throws {
        let tick = host.summary.tick
        #expect(try await eventually { host.summary.tick >= tick + 3 })
    }

    @Test func aGameThatSaysFalseKeepsItsEmptyMatch() async throws {
        let clock = ManualClock()
        let live = try await Self.liveServer(clock)
        defer { Task { await live.stop() } }
        let host = try await Self.emptyMatch(live, game: "rooms")
        try await Self.ticks(host)
        clock.advance(by: .seconds(365 * 86_400))
        try await Self.ticks(host)
        #expect(live.server.directory.host(id: host.id) != nil)
        #expect(host.summary.running)
        #expect(live.server.directory.summaries().map(\.id) == [host.id])
        // Someone comes back to it.
        let bob = try await live.connect("/play?game=rooms&match=\(host.id)", name: "Bob")
        #expect(try await bob.welcome.matchID == host.id)
    }

    @Test func aGamesTimeoutWinsOverTheServers() async throws {
        let clock = ManualClock()
        let live = try await Self.liveServer(clock)
        defer { Task { await live.stop() } }
        let host = try await Self.emptyMatch(live, game: "quick")
        try await Self.ticks(host)
        clock.advance(by: .seconds(4))
        try await Self.ticks(host)
        #expect(live.server.directory.host(id: host.id) != nil)
        clock.advance(by: .seconds(2))
        #expect(try await eventually { live.server.directory.host(id: host.id) == nil })
        #expect(!host.summary.running)
    }
}
