import Foundation
import Testing
import TestSupport
import Bots
import Engine
import Lua

/// A room where `say` client events end the match: `game.event` keeps the
/// last line heard, and `game.result` returns it with who said it and `n`.
private let roomGame = """
local game = { name = "room", tick_rate = 10, max_players = 4 }
game.state = { match = { heard = "u16" } }
game.input = { dir = "i8" }
game.client_events = { say = { text = { "string", 16 }, n = "u8" }, wave = {} }
local last
function game.init(match) match.heard = 0 end
function game.event(match, player, name, data)
  match.heard = match.heard + 1
  last = { by = player.id, name = name, text = data.text, n = data.n, tick = match.tick }
end
function game.tick() end
function game.result() return last end
return game
"""

/// A bot whose `think` body is given; `-- here` marks a line.
private func bot(_ body: String) -> String {
    "local function think(view, me)\n\(body)\nend\nreturn { think = think }"
}

/// Plays `roomGame` with `bot` for a few ticks.
private func play(_ bot: String, players: Int = 1, ticks: Int = 5) throws -> HeadlessMatchReport {
    let fixture = try GameFixture(game: roomGame, bot: bot)
    let headless = HeadlessMatch(game: try fixture.load(), options: MatchOptions(seed: 3), players: players, maxTicks: ticks)
    var clock = VirtualClock()
    return headless.play(index: 0, clock: &clock)
}

@Suite struct BotClientEventsTests {
    @Test func aBotsClientEventReachesGameEvent() throws {
        let report = try play(bot("""
            if view.tick == 2 and me.id == 2 then
              return { dir = 1 }, { { name = "say", data = { text = "hello from a bot!", n = 300 } } }
            end
            """), players: 2)
        guard case .finished(let result) = report.outcome else { Issue.record("outcome \(report.outcome)"); return }
        #expect(result["by"] == .integer(2))
        #expect(result["name"].asString == "say")
        #expect(result["text"].asString == "hello from a bot", "cut to the field's 16 bytes")
        #expect(result["n"] == .integer(255), "quantized like a client's: u8 clamps")
        #expect(result["tick"] == .integer(2), "sent on tick 2's view; game.event runs before tick 3's game.tick")
        #expect(report.botErrors == 0 && report.scriptFailures == 0)
    }

    @Test func theShortFormAndAnEventWithoutFieldsAreAccepted() throws {
        let fixture = try GameFixture(game: roomGame, bot: bot("return nil, { { 'wave' }, { 'say', { text = 'hi' } } }"))
        let game = try fixture.load()
        let brain = try BotBrain(game: game, seed: 1)
        brain.add(playerID: 1, name: "b")
        let turn = brain.think(playerID: 1)
        #expect(turn.input == nil)
        let say = try #require(game.schema.clientEvents.firstIndex { $0.name == "say" })
        let wave = try #require(game.schema.clientEvents.firstIndex { $0.name == "wave" })
        #expect(turn.clientEvents.map(\.event) == [wave, say])
        let line = try #require(turn.clientEvents.last)
        let text = try #require(game.schema.clientEvents[say].fields.firstIndex { $0.name == "text" })
        #expect(line.strings[Int(line.values[text])] == Array("hi".utf8))
        #expect(brain.errorCount == 0)
    }

    @Test(arguments: [
        ("return nil, { { name = 'shout', data = {} } } -- here", "client event 1: unknown client event 'shout' (declared: say, wave)"),
        ("return nil, 'say' -- here", "think's second value must be a list of client events { name = ..., data = { ... } }, got string"),
        ("return nil, { { name = 'say', data = 'hi' } } -- here", "client event 1 (say): data must be a table, got string"),
        ("return nil, { { name = 'wave' }, 7 } -- here", "client event 2: expected { name = ..., data = { ... } }, got number"),
        ("return nil, { { name = 'say', data = { text = 12 } } }", "client event 1 (say): data.text is declared string(16) but holds a number"),
        ("return nil, { { name = 'say', data = { n = 'x' } } }", "client event 1 (say): data.n is declared u8 but holds a string"),
        ("return nil, { { name = 'say', data = { text = '\\255' } } }", "client event 1 (say): data.text is not valid UTF-8 text"),
        ("local t = {}; for i = 1, 17 do t[i] = { name = 'wave' } end; return nil, t", "think sent 17 client events; a player may have at most 16 waiting"),
    ])
    func aClientEventAClientCouldNotSendIsABotError(_ body: String, _ message: String) throws {
        let source = bot("if view.tick == 1 then\n\(body)\nend\nreturn { dir = 1 }")
        let report = try play(source)
        #expect(report.botErrors == 1, "\(report)")
        let error = try #require(report.firstBotError)
        #expect(error.contains(message), "\(error)")
        #expect(error.contains("bot.lua"), "\(error)")
        guard case .unfinished = report.outcome else { Issue.record("no event may reach the game: \(report.outcome)"); return }
    }

    @Test func aFailedTurnSendsNeitherInputNorEvents() throws {
        let fixture = try GameFixture(game: roomGame, bot: bot("return { dir = 1 }, { { name = 'wave' }, { name = 'nope' } }"))
        let brain = try BotBrain(game: try fixture.load(), seed: 1)
        brain.add(playerID: 1, name: "b")
        #expect(brain.think(playerID: 1) == .nothing)
        #expect(brain.errorCount == 1)
    }

    @Test func undeclaredFieldsAreWarnedOfOnceWithDidYouMean() throws {
        let source = bot("""
            if view.tick == 1 then return nil, { { name = 'say', data = { txt = 'hi' } } } end -- event
            return { dirr = 1, -- input
                     zzz = true }
            """)
        let fixture = try GameFixture(game: roomGame, bot: source)
        let game = try fixture.load()
        let brain = try BotBrain(game: game, seed: 1)
        brain.add(playerID: 1, name: "a")
        brain.add(playerID: 2, name: "b")
        let match = try Match(game: game, options: MatchOptions(seed: 1))
        for tick in 1...3 {
            match.step()
            brain.observe(try #require(match.snapshots.latest))
            #expect(brain.think(playerID: 1).input == (tick == 1 ? nil : [0]), "dirr is not dir: dir is sent as 0")
            _ = brain.think(playerID: 2)
        }
        let bot = game.botChunkName
        #expect(brain.warnings == [
            "\(bot):\(line(of: "-- event", in: source)): warning: think sent client event say with data.txt, which game.client_events.say does not declare (did you mean text?)",
            "\(bot):\(line(of: "-- input", in: source)): warning: think returned input field 'dirr', which game.input does not declare (did you mean dir?)",
            "\(bot):\(line(of: "zzz", in: source)): warning: think returned input field 'zzz', which game.input does not declare (it is not sent)",
        ])
        #expect(brain.errorCount == 0)
    }

    @Test func theSmokeMatchReportsTheBotsWarnings() throws {
        let fixture = try GameFixture(game: roomGame, bot: bot("return { dirr = 1 }"))
        let report = SmokeMatch(game: try fixture.load(), options: MatchOptions(seed: 1), ticks: 5).play()
        #expect(report.passed)
        #expect(report.botWarnings.count == 1)
        #expect(report.botWarnings.first?.contains("warning: think returned input field 'dirr', which game.input does not declare (did you mean dir?)") == true)
    }
}
