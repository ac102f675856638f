import Foundation
import Testing
import TestSupport
import Bots
import Engine
import Lua

/// A game whose fields cover every decoding a bot sees (fixed, angle, bool,
/// cut strings, entity links, clamped integers), with two entity kinds, one
/// entity despawned in tick 1, and private and broadcast events each tick.
private let viewGame = """
local game = { name = "seen", tick_rate = 10, max_players = 4 }
game.state = {
  match = { round = "u8", label = { "string", 4 } },
  ship = { x = { "fixed", -10, 10, 0.5 }, a = { "angle", 4 }, on = "bool",
           tag = { "string", 3 }, target = { "entity", "ship" } },
  rock = { w = "i16" },
}
game.input = { dx = "i8", go = "bool" }
game.events = { boom = { by = { "entity", "ship" }, n = "u8" }, note = { text = { "string", 5 } } }
local doomed
function game.init(match, params)
  match:spawn("rock", { w = -7.6 })                                 -- id 1
  local a = match:spawn("ship", { x = 1.3, a = math.pi / 2 + 0.1, on = 0, tag = "abcdef", secret = 9 })
  local b = match:spawn("ship", { x = -20, a = -math.pi / 2, on = false, tag = "ab\\u{E9}" })
  a.target = b                                                      -- ships 2 and 3
  doomed = match:spawn("rock", { w = 2 })                           -- id 4
  match:spawn("rock", { w = 40000 })                                -- id 5
  match.label = "hello"
end
function game.tick(match, inputs, dt)
  if doomed then match:despawn(doomed); doomed = nil end
  match.round = match.tick
  match:send(1, "note", { text = "hello world" })
  match:broadcast("boom", { by = match:entity(2), n = match.tick })
  match:send(2, "note", { text = "two" })
end
return game
"""

/// Prints everything it sees, one sorted `key=value` line per table, and
/// sends `dx = -3 * id`, `go` for bot 1 only.
private let viewBot = """
local function show(v)
  if math.type(v) == "float" then return string.format("%.4f", v) end
  return tostring(v)
end
local function fields(t)
  local keys, parts = {}, {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  for _, k in ipairs(keys) do parts[#parts + 1] = k .. "=" .. show(t[k]) end
  return table.concat(parts, " ")
end
return { think = function(view, me)
  print(("bot %d (%s) tick %d"):format(me.id, me.name, view.tick))
  print("match " .. fields(view.match))
  for _, kind in ipairs({ "rock", "ship" }) do
    for i, e in ipairs(view[kind]) do print(("%s[%d] %s"):format(kind, i, fields(e))) end
  end
  local ids = {}
  for id, e in pairs(view.byid) do ids[#ids + 1] = id end
  table.sort(ids)
  for i, id in ipairs(ids) do ids[i] = id .. ":" .. view.byid[id].kind end
  print("byid " .. table.concat(ids, ","))
  for i, e in ipairs(view.events) do print(("event[%d] %s to=%d %s"):format(i, e.name, e.to, fields(e.data))) end
  return { dx = -3 * me.id, go = me.id == 1 }
end }
"""

/// A match of `game` with a brain for `bot`, players joined to both.
private struct MatchWithBots {
    let fixture: GameFixture
    let match: Match
    let brain: BotBrain
    let log = LogLines()

    init(game: String, bot: String, players: Int = 2) throws {
        fixture = try GameFixture(game: game, bot: bot)
        let definition = try fixture.load()
        match = try Match(game: definition, options: MatchOptions(seed: 5))
        brain = try BotBrain(game: definition, seed: 5, log: log.sink)
        for p in 1...players {
            let name = "bot\(p)"
            #expect(match.join(name: name) == .joined(playerID: p))
            brain.add(playerID: p, name: name)
        }
    }

    /// Steps the match and shows the bots the new snapshot.
    func step() throws {
        match.step()
        brain.observe(try #require(match.snapshots.latest))
    }

    /// A quantized input in schema order from field values by name; missing fields are 0.
    func input(_ values: [String: Int64]) -> [Int64] {
        match.schema.input.map { values[$0.name] ?? 0 }
    }
}

/// A one-file bot whose `think` body is given; `-- here` marks a line.
private func bot(_ body: String) -> String {
    """
    local function think(view, me)
    \(body)
    end
    return { think = think }
    """
}

@Suite struct BotBrainTests {
    // MARK: What a bot sees

    @Test func viewHoldsDecodedStateInIdOrder() throws {
        let bots = try MatchWithBots(game: viewGame, bot: viewBot)
        try bots.step()
        _ = bots.log.drain()
        #expect(bots.brain.think(playerID: 1).input == bots.input(["dx": -3, "go": 1]))
        let tau = 2 * Double.pi
        #expect(bots.log.drain() == [
            "bot 1 (bot1) tick 1",
            "match label=hell round=1",
            "rock[1] id=1 kind=rock w=-8",
            "rock[2] id=5 kind=rock w=32767",
            String(format: "ship[1] a=%.4f id=2 kind=ship on=true tag=abc target=3 x=1.5000", tau / 4),
            String(format: "ship[2] a=%.4f id=3 kind=ship on=false tag=ab target=0 x=-10.0000", 3 * tau / 4),
            "byid 1:rock,2:ship,3:ship,5:rock",
            "event[1] note to=1 text=hello",
            "event[2] boom to=0 by=2 n=1",
        ])
        #expect(bots.brain.errorCount == 0)
    }

    @Test func privateEventsReachOnlyTheirRecipient() throws {
        let bots = try MatchWithBots(game: viewGame, bot: viewBot, players: 3)
        try bots.step()
        try bots.step()
        _ = bots.log.drain()
        var events: [Int: [String]] = [:]
        for id in 1...3 {
            #expect(bots.brain.think(playerID: id).input == bots.input(["dx": Int64(-3 * id), "go": id == 1 ? 1 : 0]))
            events[id] = bots.log.drain().filter { $0.hasPrefix("event") }
        }
        #expect(events[1] == ["event[1] note to=1 text=hello", "event[2] boom to=0 by=2 n=2"])
        #expect(events[2] == ["event[1] boom to=0 by=2 n=2", "event[2] note to=2 text=two"])
        #expect(events[3] == ["event[1] boom to=0 by=2 n=2"])
        // Bot 1 again, after the others: its filtered list is rebuilt from all events.
        _ = bots.brain.think(playerID: 1).input
        #expect(bots.log.drain().filter { $0.hasPrefix("event") } == events[1])
    }

    @Test func viewFollowsTheTicks() throws {
        let bots = try MatchWithBots(game: viewGame, bot: viewBot, players: 1)
        for tick in 1...3 {
            try bots.step()
            _ = bots.log.drain()
            _ = bots.brain.think(playerID: 1).input
            let seen = bots.log.drain()
            #expect(seen.first == "bot 1 (bot1) tick \(tick)")
            #expect(seen.contains("match label=hell round=\(tick)"))
            #expect(seen.contains("event[1] note to=1 text=hello"))
            #expect(seen.filter { $0.hasPrefix("event") }.count == 2)   // this tick's events only
        }
    }

    // MARK: What a bot keeps and sends

    @Test func meTablePersistsPerBot() throws {
        let bots = try MatchWithBots(game: dotsGame, bot: bot("""
            me.count = (me.count or 0) + 1
            return { dx = me.count * 10 + me.id }
            """))
        var sent: [[Int64]?] = []
        for _ in 1...3 {
            try bots.step()
            sent.append(bots.brain.think(playerID: 1).input)
        }
        sent.append(bots.brain.think(playerID: 2).input)
        #expect(sent == [[11, 0], [21, 0], [31, 0], [12, 0]].map { bots.input(["dx": $0[0]]) })
        // A bot that leaves and comes back starts with a fresh `me`.
        bots.brain.remove(playerID: 1)
        bots.brain.add(playerID: 1, name: "again")
        #expect(bots.brain.think(playerID: 1).input == bots.input(["dx": 11]))
        #expect(bots.brain.errorCount == 0)
    }

    @Test func nilSendsNothingAndMissingFieldsAreZero() throws {
        let bots = try MatchWithBots(game: dotsGame, bot: bot("""
            if me.id == 1 then return nil end
            return { go = true, extra = "ignored" }
            """))
        try bots.step()
        #expect(bots.brain.think(playerID: 1).input == nil)
        #expect(bots.brain.think(playerID: 2).input == bots.input(["go": 1]))
        #expect(bots.brain.errorCount == 0)
    }

    @Test func nilInputsReachNoMatch() throws {
        let fixture = try GameFixture(game: dotsGame, bot: bot("return nil"))
        let headless = HeadlessMatch(game: try fixture.load(), options: MatchOptions(seed: 1), players: 3, maxTicks: 20)
        var clock = VirtualClock()
        let log = CommandLog()
        let report = headless.play(index: 0, clock: &clock, log: log)
        #expect(log.inputs.joined().isEmpty)
        #expect(report.ticks == 20)
        #expect(report.botErrors == 0)
    }

    /// Headless bots see frames at the game's send rate, as players do, and
    /// answer each with one input: at 20 of 60, after ticks 0, 3, 6…, each
    /// input made from the state of the tick it answers.
    @Test func botsSeeFramesAtTheSendRate() throws {
        let game = dotsGame.replacingOccurrences(of: "tick_rate = 20,", with: "tick_rate = 60, send_rate = 20,")
        let fixture = try GameFixture(game: game, bot: bot("return { dx = view.tick }"))
        let headless = HeadlessMatch(game: try fixture.load(), options: MatchOptions(seed: 1), players: 2, maxTicks: 60)
        var clock = VirtualClock()
        let log = CommandLog()
        let report = headless.play(index: 0, clock: &clock, log: log)
        #expect(report.ticks == 60 && report.botErrors == 0)
        let answered = log.inputs.indices.filter { !log.inputs[$0].isEmpty }
        #expect(answered == Array(stride(from: 0, to: 60, by: 3)))
        for t in answered { #expect(log.inputs[t].map(\.values.first) == [Int64(t), Int64(t)]) }
    }

    @Test func globalThinkIsAccepted() throws {
        let bots = try MatchWithBots(game: dotsGame, bot: "function think(view, me) return { dx = 7 } end")
        try bots.step()
        #expect(bots.brain.think(playerID: 2).input == bots.input(["dx": 7]))
    }

    // MARK: Bot errors

    @Test
    func nonTableInputIsACountedErrorNamingBotLua() throws {
        let bots = try MatchWithBots(game: dotsGame, bot: bot("return 'left' -- here"))
        try bots.step()
        #expect(bots.brain.think(playerID: 1).input == nil)
        #expect(bots.brain.think(playerID: 2).input == nil)
        #expect(bots.brain.errorCount == 2)
        let error = try #require(bots.brain.firstError)
        #expect(error.message.contains("think must return an input table or nil, got string"))
        #expect(error.description.contains("bot.lua"), "\(error)")
    }

    @Test func nonTableInputIsACountedError() throws {
        let bots = try MatchWithBots(game: dotsGame, bot: bot("if view.tick == 1 then return 'left' end\nreturn { dx = 1 }"))
        try bots.step()
        #expect(bots.brain.think(playerID: 1).input == nil)
        #expect(bots.brain.think(playerID: 2).input == nil)
        #expect(bots.brain.errorCount == 2)
        #expect(bots.brain.firstError?.message.contains("think must return an input table or nil, got string") == true)
        try bots.step()
        #expect(bots.brain.think(playerID: 1).input == bots.input(["dx": 1]))
        #expect(bots.brain.errorCount == 2)
    }

    @Test func runtimeErrorIsCountedAtItsLineAndTheMatchGoesOn() throws {
        let source = bot("""
            if me.id == 1 and view.tick % 2 == 0 then
              local boom = me.nothing + 1 -- here
            end
            return { dx = 1 }
            """)
        let fixture = try GameFixture(game: dotsGame, bot: source)
        let log = LogLines()
        let headless = HeadlessMatch(game: try fixture.load(), options: MatchOptions(seed: 1, log: log.sink), players: 2, maxTicks: 10)
        var clock = VirtualClock()
        let commands = CommandLog()
        let report = headless.play(index: 0, clock: &clock, log: commands)
        let sentBy = Dictionary(commands.inputs.joined().map { ($0.id, 1) }, uniquingKeysWith: +)
        #expect(report.ticks == 10)
        guard case .unfinished = report.outcome else { Issue.record("outcome \(report.outcome)"); return }
        #expect(report.scriptFailures == 0)
        #expect(report.botErrors == 5)                    // views of ticks 0, 2, 4, 6, 8
        #expect(sentBy == [1: 5, 2: 10])
        let first = try #require(report.firstBotError)
        #expect(first.contains("bot.lua:\(line(of: "-- here", in: source)): attempt to perform arithmetic on a nil value"), "\(first)")
        #expect(log.lines.contains { $0.hasPrefix("bot error: ") && $0.contains("bot.lua:") })
    }

    @Test func runawayThinkIsStoppedByTheTimeLimit() throws {
        let source = bot("""
            if me.id == 1 and view.tick == 2 then
              while true do end -- here
            end
            return { dx = 1 }
            """)
        let fixture = try GameFixture(game: dotsGame, bot: source)
        let options = MatchOptions(seed: 1, limits: LuaLimits(timeLimit: .milliseconds(50)))
        let headless = HeadlessMatch(game: try fixture.load(), options: options, players: 2, maxTicks: 6)
        var clock = VirtualClock()
        let commands = CommandLog()
        let report = headless.play(index: 0, clock: &clock, log: commands)
        let sentBy = Dictionary(commands.inputs.joined().map { ($0.id, 1) }, uniquingKeysWith: +)
        #expect(report.ticks == 6)
        #expect(!report.failed)
        #expect(report.scriptFailures == 0)
        #expect(report.botErrors == 1)
        #expect(sentBy == [1: 5, 2: 6])
        let first = try #require(report.firstBotError)
        #expect(first.contains("bot.lua:\(line(of: "-- here", in: source))"), "\(first)")
        #expect(first.contains("time limit of 0.05 seconds exceeded"), "\(first)")
    }

    // MARK: Bots that cannot start

    @Test func botWithoutThinkIsAClearError() throws {
        let fixture = try GameFixture(game: dotsGame, bot: "return { thnik = function(view, me) end }")
        let game = try fixture.load()
        #expect {
            _ = try BotBrain(game: game, seed: 1)
        } throws: { error in
            "\(error)".contains("bot.lua must return { think = function(view, me) ... end }")
        }
        let headless = HeadlessMatch(game: game, options: MatchOptions(), players: 2, maxTicks: 5)
        var clock = VirtualClock()
        let report = headless.play(index: 0, clock: &clock)
        guard case .failed(let message) = report.outcome else { Issue.record("outcome \(report.outcome)"); return }
        #expect(message.contains("bot.lua must return"))
        #expect(report.ticks == 0)
    }

    @Test func botSyntaxErrorNamesItsLine() throws {
        let source = "local x = 1\nlocal y = = 2 -- here\nreturn { think = function() end }"
        let fixture = try GameFixture(game: dotsGame, bot: source)
        let game = try fixture.load()
        do {
            _ = try BotBrain(game: game, seed: 1)
            Issue.record("a bot.lua with a syntax error was accepted")
        } catch {
            #expect(error.location?.hasSuffix("bot.lua:2") == true, "\(error)")
            #expect(error.message.contains("unexpected symbol"), "\(error)")
        }
    }

    @Test func gameWithoutBotIsAClearError() throws {
        let fixture = try GameFixture(game: dotsGame)
        let game = try fixture.load()
        #expect(game.botSource == nil)
        do {
            _ = try BotBrain(game: game, seed: 1)
            Issue.record("a game without bot.lua got a brain")
        } catch {
            #expect(error.message == "\(fixture.path) has no bot.lua: write one returning { think = function(view, me) ... end }")
        }
    }
}
