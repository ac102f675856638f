import Foundation
import Testing
import TestSupport
import Bots
import Engine

/// Rules written to break the engine, played headless as `tickwire bots`
/// plays them: the bots' observer decodes every event (private ones too) and
/// every snapshot, so anything the encoder could not send would trap here.
/// Each must end as a script failure at the game's line, not a crash.
@Suite struct HostileRulesTests {
    static func game(_ body: String) -> String {
        """
        local game = { name = "hostile", max_players = 4 }
        game.state = { dot = { v = "i32" } }
        game.events = { note = { v = "i32" } }
        local d
        function game.init(match, params) d = match:spawn("dot", { v = 1 }) end
        function game.tick(match, inputs, dt)
          if match.tick == 3 then
            \(body)
          end
        end
        return game
        """
    }

    @Test(arguments: [
        ("match.players[300] = { id = 300 }; match:send(300, 'note', { v = 1 }) -- here", "send: not a player of this match"),
        ("for i = 1, 5000 do match:broadcast('note', { v = i }) end -- here", "too many events"),
    ])
    func hostileEventsFailAtTheirLine(body: String, words: String) throws {
        let source = Self.game(body)
        let fixture = try GameFixture(game: source, bot: "return { think = function() return nil end }")
        let reports = HeadlessRun(game: try fixture.load(), matches: 1, players: 2, ticks: 10, seed: 1,
                                  options: MatchOptions(failurePolicy: .endMatch(afterFailures: 1))).run()
        let report = try #require(reports.first)
        guard case .failed(let message) = report.outcome else { Issue.record("outcome \(report.outcome)"); return }
        #expect(message.contains("game.lua:\(line(of: "-- here", in: source)): \(words)"), "\(message)")
        #expect(report.ticks == 3)
    }

    @Test(arguments: ["d.id = 0", "d.id = 2^32", "d.id = -1", "match:spawn('dot', { v = 2 }).id = 1"])
    func changedEntityIDsFailAtTheTick(body: String) throws {
        let source = Self.game(body)
        let fixture = try GameFixture(game: source, bot: "return { think = function() return nil end }")
        let reports = HeadlessRun(game: try fixture.load(), matches: 1, players: 2, ticks: 10, seed: 1,
                                  options: MatchOptions(failurePolicy: .skipTick)).run()
        let report = try #require(reports.first)
        guard case .unfinished = report.outcome else { Issue.record("outcome \(report.outcome)"); return }
        #expect(report.ticks == 10)
        #expect(report.scriptFailures == 1)
        #expect(report.botErrors == 0)
    }
}
