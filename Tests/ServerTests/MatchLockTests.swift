import Client
import Engine
import Foundation
import Testing
import TestSupport

/// `match:lock()`: matchmaking seats nobody new in a locked match, `GET
/// /matches` marks it, and a player may still join it by its id.
@Suite(.timeLimit(.minutes(1))) struct MatchLockTests {
    static let game = """
        local game = { name = "table", tick_rate = 20, max_players = 4 }
        game.state = { match = { seated = "u8" } }
        function game.init(match) match.seated = 0 end
        function game.join(match, player)
          match.seated = match.seated + 1
          if match.seated == 2 then match:lock() end
        end
        function game.leave(match, player)
          match.seated = match.seated - 1
          if match.seated < 2 then match:unlock() end
        end
        function game.tick(match) end
        return game
        """

    @Test func theRulesLockAMatchInJoinAndTheEngineSeesIt() throws {
        let fixture = try GameFixture(game: Self.game)
        let match = try Match(game: fixture.load())
        _ = match.join(name: "a")
        #expect(!match.isLocked)
        _ = match.join(name: "b")
        #expect(match.isLocked)
        match.leave(playerID: 2)
        match.step()
        #expect(!match.isLocked)
    }

    @Test func matchmakingPassesALockedMatchBy() async throws {
        let live = try await LiveServer(extraGames: ["table": Self.game])
        defer { Task { await live.stop() } }
        let ann = try await live.connect("/play?game=table", name: "Ann")
        let first = try await ann.welcome.matchID
        let bob = try await live.connect("/play?game=table", name: "Bob")
        #expect(try await bob.welcome.matchID == first)
        // Two seated: the rules locked the table.
        let cy = try await live.connect("/play?game=table", name: "Cy")
        let other = try await cy.welcome.matchID
        #expect(other != first)
        var http = try RawHTTP(port: live.port)
        let listed = try http.exchange("GET /matches?game=table HTTP/1.1\r\nHost: x\r\n\r\n").text
        let matches = try JSONSerialization.jsonObject(with: Data(listed.utf8)) as? [[String: Any]] ?? []
        #expect(matches.first { $0["id"] as? String == first }?["locked"] as? Bool == true, "\(listed)")
        #expect(matches.first { $0["id"] as? String == other }?["locked"] == nil, "\(listed)")
        // By its id, the locked match still asks game.join, which seats Dee.
        let dee = try await live.connect("/play?game=table&match=\(first)", name: "Dee")
        #expect(try await dee.welcome.matchID == first)
        for c in [ann, bob, cy, dee] { _ = await c.close() }
    }
}
