import Client
import Engine
import Foundation
@testable import Server
import Testing
import WebSocket

/// A match stuck in a call nothing can stop (here: no Lua time limit at all)
/// holds only its own thread: the supervisor abandons it after the hard
/// limit, its clients are told, and every other match, HTTP, matchmaking
/// and shutdown go on.
@Suite(.timeLimit(.minutes(1))) struct MatchIsolationTests {
    /// `hang` loops forever in game.tick once a player called "stuck" is in,
    /// or in game.join for a player called "hangs-join".
    static let hang = """
    local game = { name = "hang", tick_rate = 30, max_players = 4 }
    game.state = { match = { n = "u16" } }
    game.input = { x = "i8" }
    local stuck = false
    function game.join(match, player)
      if player.name == "hangs-join" then while true do end end
      if player.name == "stuck" then stuck = true end
      return true
    end
    function game.tick(match, inputs, dt)
      match.n = match.tick % 60000
      if stuck and match.tick % 3 == 0 then while true do end end
    end
    return game
    """

    private func server() async throws -> LiveServer {
        try await LiveServer(extraGames: ["hang": Self.hang]) { config in
            config.match.limits.timeLimit = nil
            config.hardLimit = .milliseconds(800)
        }
    }

    private func closing(_ c: TickwireConnection) async -> (ErrorMessage?, WebSocketClosed) {
        var error: ErrorMessage?
        while let message = try? await c.next() { if case .error(let e) = message { error = e } }
        return (error, await c.closed)
    }

    @Test func aStuckTickIsAbandonedAndEveryOtherMatchKeepsEveryTick() async throws {
        let live = try await server()
        let ann = try await live.connect("/play?game=echo", name: "Ann")
        _ = try await ann.welcome
        let bob = try await live.connect("/play?game=hang", name: "stuck")
        let hung = try await bob.welcome

        // While the hang match is stuck and then abandoned, Ann's match ticks on.
        async let bobsEnd = closing(bob)
        var last: Int?
        for _ in 0..<45 {
            let (header, _) = try #require(try await ann.nextSnapshot())
            if let last { #expect(header.tick == last + 1) }
            last = header.tick
        }
        let (error, closed) = await bobsEnd
        #expect(error?.code == .matchOver)
        #expect(error?.reason.contains("past the hard limit") == true, "\(error?.reason ?? "no error")")
        #expect(closed.code?.rawValue == 4004)

        // The directory forgot it; matchmaking for that game starts a new match.
        #expect(live.server.directory.host(id: hung.matchID) == nil)
        #expect(!live.server.directory.summaries().contains { $0.id == hung.matchID })
        let carl = try await live.connect("/play?game=hang", name: "Carl")
        #expect(try await carl.welcome.matchID != hung.matchID)
        #expect(live.server.metrics.exposition().containsText("tickwire_matches_abandoned_total 1"))

        // The stuck match never ends, so any bound shows shutdown does not
        // wait for it (10.2 s seen on a loaded machine; 1 s when idle).
        let started = ContinuousClock.now
        await live.stop()
        #expect(ContinuousClock.now - started < .seconds(30))
    }

    @Test func aJoinThatNeverReturnsIsRefusedWithinTheHardLimit() async throws {
        let live = try await server()
        let first = try await live.connect("/play?game=hang", name: "Dee")
        let match = try await first.welcome.matchID
        let stuck = try await live.connect("/play?game=hang&match=\(match)", name: "hangs-join")
        let (error, closed) = await closing(stuck)
        #expect(error?.code == .matchOver)
        #expect(closed.code?.rawValue == 4004)
        // Dee is told too, once the supervisor gives the match up.
        let (deesError, _) = await closing(first)
        #expect(deesError?.code == .matchOver)
        // Matchmaking for the game is not held up behind the stuck join.
        let next = try await live.connect("/play?game=hang", name: "Eve")
        #expect(try await next.welcome.matchID != match)
        await live.stop()
    }

    @Test func shutdownDoesNotWaitForAStuckMatch() async throws {
        let live = try await LiveServer(extraGames: ["hang": Self.hang]) { config in
            config.match.limits.timeLimit = nil
            config.hardLimit = .seconds(2)
        }
        let ann = try await live.connect("/play?game=echo", name: "Ann")
        _ = try await ann.welcome
        let bob = try await live.connect("/play?game=hang", name: "stuck")
        let hung = try await bob.welcome.matchID
        // Stop while Bob's match is stuck in a tick (Ann's snapshots pace the wait).
        let host = try #require(live.server.directory.host(id: hung))
        var stuck = false
        for _ in 0..<300 where !stuck {
            _ = try await ann.nextSnapshot()
            if let (running, work) = host.busy(now: .now()), work == .tick, running > .milliseconds(100) { stuck = true }
        }
        #expect(stuck)
        let started = ContinuousClock.now
        await live.stop()
        // The stuck match never ends, so any bound shows shutdown does not
        // wait for it; 30 s leaves room for a busy machine (the match's
        // thread spins on a core meanwhile).
        #expect(ContinuousClock.now - started < .seconds(30))
        #expect(await ann.closed.code == .goingAway)
        #expect(await bob.closed.code?.rawValue == 4004)
    }
}

private extension Array where Element == UInt8 {
    func containsText(_ text: String) -> Bool { String(decoding: self, as: UTF8.self).contains(text) }
}
