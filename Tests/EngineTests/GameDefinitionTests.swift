import Foundation
import Testing
import TestSupport
@testable import Engine
import Lua

/// A game around `state` (the body of `game.state`), with `top` before the
/// state and `after` after it. Mark the line an error must name with `-- here`.
func game(state: String = "ship = { x = \"u8\" },", top: String = "", after: String = "") -> String {
    """
    local game = { name = "test" }
    \(top)
    game.state = {
    \(state)
    }
    \(after)
    function game.tick(match, inputs, dt) end
    return game
    """
}

/// Loads `source` as a game that must fail with a Lua error, and checks that
/// it names the line marked `-- here` of game.lua and says `words`.
@discardableResult
func expectFailure(_ source: String, _ words: String, limits: LuaLimits = LuaLimits(),
                           sourceLocation: SourceLocation = #_sourceLocation) throws -> GameError {
    let fixture = try GameFixture(game: source)
    let error = try #require(throws: GameError.self, sourceLocation: sourceLocation) {
        try GameDefinition.load(folder: fixture.path, limits: limits)
    }
    expectAt(error, marked: source, words, sourceLocation: sourceLocation)
    return error
}

/// The same for the errors `SourceLocator` places: the location is exactly
/// the full path and line.
func expectSchemaFailure(_ source: String, _ words: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let fixture = try GameFixture(game: source)
    let error = try #require(throws: GameError.self, sourceLocation: sourceLocation) { try fixture.load() }
    #expect(error.location == "\(fixture.path)/game.lua:\(line(of: "-- here", in: source))",
            "\(error.message)", sourceLocation: sourceLocation)
    #expect(error.message.contains(words), "\(error.message)", sourceLocation: sourceLocation)
}

@Suite struct GameDefinitionTests {
    @Test func arenaLoads() throws {
        let arena = try GameDefinition.load(folder: gamesFolder + "/arena/")
        #expect(arena.name == "arena")
        #expect(arena.tickRate == 30)
        #expect(arena.maxPlayers == 16)
        #expect(arena.folder == gamesFolder + "/arena")
        #expect(arena.chunkName == gamesFolder + "/arena/game.lua")
        #expect(arena.botSource != nil)
        #expect(arena.callbacks == ["init", "join", "leave", "tick", "result"])
        #expect(arena.schema.kinds.map(\.name) == ["bullet", "ship"])
        #expect(arena.schema.kinds.map(\.index) == [1, 2])
        #expect(arena.schema.input.map(\.name) == ["fire", "thrust", "turn"])
        #expect(arena.schema.input.map(\.type) == [.bool, .bool, .integer(bits: 8, signed: true)])
        #expect(arena.schema.events.map(\.name) == ["hit", "kill", "over", "spawn"])
        #expect(arena.schema.match.fields.map(\.name) == ["phase", "time_left"])
        let ship = try #require(arena.schema.kind(named: "ship"))
        #expect(ship.fields.map(\.name) == ["alive", "angle", "deaths", "hp", "name", "player", "score",
                                            "shield", "thrusting", "vx", "vy", "x", "y"])
        #expect(ship.fields.first { $0.name == "x" }?.type == .fixed(min: -1024, max: 1024, step: 1.0 / 32))
        #expect(ship.fields.first { $0.name == "angle" }?.type == .angle(bits: 10))
        #expect(ship.fields.first { $0.name == "name" }?.type == .string(maxBytes: 16))
        #expect(arena.schema.kind(named: "bullet")?.fields.first { $0.name == "owner" }?.type == .entity(kind: "ship"))
    }

    @Test func defaultsAndShortForms() throws {
        let fixture = try GameFixture(game: game(state: """
            rock = { a = "angle", s = "string", e = "entity", n = { "string", 4096 }, b = { "angle", 16 } },
            """))
        let loaded = try fixture.load()
        #expect(loaded.name == "test")
        #expect((loaded.tickRate, loaded.maxPlayers) == (30, 16))
        #expect(loaded.callbacks == ["tick"])
        #expect(loaded.schema.kinds[0].fields.map(\.type) == [
            .angle(bits: 12), .angle(bits: 16), .entity(kind: nil), .string(maxBytes: 4096), .string(maxBytes: 32),
        ])
    }

    // MARK: Field declarations

    @Test func unknownFieldType() throws {
        try expectSchemaFailure(game(state: """
            ship = {
              y = "u8",
              x = "fixd", -- here
            },
            """), "unknown field type 'fixd'")
    }

    @Test func fixedNeedsARangeAPositiveStepAndAtMost32Bits() throws {
        try expectSchemaFailure(game(state: "ship = {\n x = { \"fixed\", 10, 10, 1 }, -- here\n},"), "min < max")
        try expectSchemaFailure(game(state: "ship = {\n x = { \"fixed\", 10, -10, 1 }, -- here\n},"), "min < max")
        try expectSchemaFailure(game(state: "ship = {\n y = \"u8\",\n x = { \"fixed\", 0, 10, 0 }, -- here\n},"), "positive step")
        try expectSchemaFailure(game(state: "ship = { x = { \"fixed\", 0, 10, -1 } }, -- here"), "positive step")
        try expectSchemaFailure(game(state: "ship = {\n x = { \"fixed\", 0, 1e10, 1 }, -- here\n},"), "more than 32 bits")
        try expectSchemaFailure(game(state: "ship = {\n x = { \"fixed\", 0, 10 }, -- here\n},"), "fixed needs")
    }

    @Test func angleBitsMustBeFrom2To16() throws {
        for bits in ["1", "17", "2.5"] {
            try expectSchemaFailure(game(state: "ship = {\n y = \"u8\",\n a = { \"angle\", \(bits) }, -- here\n},"), "from 2 to 16")
        }
    }

    /// A range too wide for its step must be refused, not trap converting
    /// an enormous step count.
    @Test func hugeFixedRangesAreRefused() throws {
        try expectSchemaFailure(game(state: "ship = {\n x = { \"fixed\", -1e308, 1e308, 1e-10 }, -- here\n},"), "more than 32 bits")
        try expectSchemaFailure(game(state: "ship = {\n x = { \"fixed\", 0, 1e300, 1e-300 }, -- here\n},"), "more than 32 bits")
    }

    @Test func vectorsAndQuaternionsLoad() throws {
        let fixture = try GameFixture(game: game(state: """
            body = { p = { "vec3", -100, 100, 0.5 }, q = "quat", r = { "quat", 16 },
                     v = { "vec3", { -10, 10, 0.125 }, { 0, 50, 0.25 }, { -1, 1, 1/64 } },
                     w = { "vec3", { 0, 2097151, 1 }, { 0, 2097151, 1 }, { 0, 2097151, 1 } } },
            """, after: "game.input = { aim = \"quat\", move = { \"vec3\", -1, 1, 1 } }"))
        let loaded = try fixture.load()
        let axis = FieldType.Axis(min: -100, max: 100, step: 0.5)
        #expect(loaded.schema.kinds[0].fields.map(\.type) == [
            .vec3(x: axis, y: axis, z: axis), .quat(bits: 10), .quat(bits: 16),
            .vec3(x: .init(min: -10, max: 10, step: 0.125), y: .init(min: 0, max: 50, step: 0.25), z: .init(min: -1, max: 1, step: 1.0 / 64)),
            .vec3(x: .init(min: 0, max: 2_097_151, step: 1), y: .init(min: 0, max: 2_097_151, step: 1), z: .init(min: 0, max: 2_097_151, step: 1)),
        ])
        #expect(loaded.schema.kinds[0].fields.map(\.type.bitWidth) == [27, 32, 50, 8 + 8 + 8, 63])
        #expect(loaded.schema.input.map(\.type) == [.quat(bits: 10), .vec3(x: .init(min: -1, max: 1, step: 1), y: .init(min: -1, max: 1, step: 1),
                                                                          z: .init(min: -1, max: 1, step: 1))])
    }

    @Test func vec3NeedsThreeRangesWithinA63BitValue() throws {
        func refused(_ type: String, _ words: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            try expectSchemaFailure(game(state: "ship = {\n y = \"u8\",\n p = \(type), -- here\n},"), words, sourceLocation: sourceLocation)
        }
        try refused("\"vec3\"", "vec3 needs { \"vec3\", min, max, step }")
        try refused("{ \"vec3\", 0, 10 }", "vec3 needs")
        try refused("{ \"vec3\", 0, 10, \"1\" }", "vec3 needs")
        try refused("{ \"vec3\", 10, 0, 1 }", "vec3 needs min < max")
        try refused("{ \"vec3\", 0, 10, 0 }", "vec3 needs a positive step")
        try refused("{ \"vec3\", 0, 1, 2 }", "vec3 step 2.0 is larger than the range")
        try refused("{ \"vec3\", { 0, 10, 1 }, { 0, 10, -1 }, { 0, 1, 1 } }", "vec3 y axis needs a positive step")
        try refused("{ \"vec3\", { 0, 10, 1 }, { 0, 10, 1 } }", "vec3 needs")
        try refused("{ \"vec3\", { 0, 10, 1 }, { 0, 10, 1 }, { 0, 1 } }", "vec3 z axis needs three numbers")
        try refused("{ \"vec3\", { 0, 10, 1 }, 5, { 0, 1, 1 } }", "vec3 needs")
        try refused("{ \"vec3\", 0, 1e7, 0.001 }", "vec3 needs 102 bits (x 34, y 34, z 34), more than 63")
        try refused("{ \"vec3\", { 0, 2097151, 1 }, { 0, 2097151, 1 }, { 0, 2097152, 1 } }", "vec3 needs 64 bits")
        try refused("{ \"vec3\", 0, 1e300, 1e-300 }", "needs more than 63 bits")
    }

    @Test func quatBitsMustBeFrom6To20() throws {
        for bits in ["5", "21", "10.5"] {
            try expectSchemaFailure(game(state: "ship = {\n y = \"u8\",\n q = { \"quat\", \(bits) }, -- here\n},"), "from 6 to 20")
        }
        try expectSchemaFailure(game(state: "ship = {\n q = { \"quat\", \"fine\" }, -- here\n},"), "quat needs a number for bits")
    }

    @Test func clientEventsAreDeclaredLikeEvents() throws {
        let fixture = try GameFixture(game: game(after: """
            game.events = { chat = { text = "string" } }
            game.client_events = {
              say = { text = { "string", 64 } },
              aim = { at = { "vec3", -1, 1, 0.25 }, target = { "entity", "ship" } },
            }
            """))
        let schema = try fixture.load().schema
        #expect(schema.events.map(\.name) == ["chat"])
        #expect(schema.clientEvents.map(\.name) == ["aim", "say"])
        #expect(schema.clientEvents.map(\.index) == [1, 2])
        #expect(schema.clientEvent(named: "aim")?.fields.map(\.name) == ["at", "target"])
        #expect(schema.clientEvent(named: "say")?.fields.map(\.type) == [.string(maxBytes: 64)])
        #expect(try GameFixture(game: game()).load().schema.clientEvents.isEmpty)

        try expectSchemaFailure(game(after: "game.client_events = 5 -- here"), "game.client_events must be a table of event name = { fields }")
        try expectSchemaFailure(game(after: """
            game.events = { ping = { n = "u8" } }
            game.client_events = {
              ping = { n = "u9" }, -- here
            }
            """), "client_events.ping.n: unknown field type 'u9'")
        try expectSchemaFailure(game(after: "game.client_events = {\n [\"no way\"] = {}, -- here\n}"), "'no way' is not a valid event name")
    }

    @Test func stringLengthMustBeFrom1To4096() throws {
        for bytes in ["0", "4097", "1.5"] {
            try expectSchemaFailure(game(state: "ship = {\n s = { \"string\", \(bytes) }, -- here\n},"), "from 1 to 4096")
        }
    }

    @Test func entityReferencesNeedADeclaredKind() throws {
        try expectSchemaFailure(game(state: """
            ship = { x = "u8" },
            bullet = {
              owner = { "entity", "rock" }, -- here
            },
            """), "entity kind \"rock\" is not declared")
    }

    @Test func reservedNamesAreRefused() throws {
        try expectSchemaFailure(game(state: "ship = {\n x = \"u8\",\n id = \"u16\", -- here\n},"), "'id' is reserved")
        try expectSchemaFailure(game(state: "ship = {\n kind = \"u8\", -- here\n},"), "'kind' is reserved")
        try expectSchemaFailure(game(state: "ship = { x = \"u8\" },\nmatch = {\n tick = \"u16\", -- here\n},"), "'tick' is reserved")
        try expectSchemaFailure(game(state: "ship = { x = \"u8\" },\nbyid = { x = \"u8\" }, -- here"), "'byid' is reserved")
    }

    @Test func namesMustBeIdentifiers() throws {
        let long = String(repeating: "a", count: 65)
        try expectSchemaFailure(game(state: "ship = {\n x = \"u8\",\n \(long) = \"u8\", -- here\n},"), "not a valid field name")
        try expectSchemaFailure(game(state: "ship = { [\"my-field\"] = \"u8\" }, -- here"), "'my-field' is not a valid field name")
        try expectSchemaFailure("local game = {}\ngame.state = { [\"2fast\"] = { x = \"u8\" } } -- here\n"
                                + "function game.tick() end\nreturn game", "'2fast' is not a valid entity kind name")
    }

    /// Bracketed keys are the usual way to write a name Lua allows but the
    /// engine does not; the error should still point at that key's line.
    @Test
    func bracketedNamesAreLocated() throws {
        try expectSchemaFailure(game(state: "ship = {\n x = \"u8\",\n [\"my-field\"] = \"u8\", -- here\n},"), "my-field")
        try expectSchemaFailure(game(state: "ship = { x = \"u8\" },\n[\"2fast\"] = { x = \"u8\" }, -- here"), "2fast")
    }

    @Test func inputsCannotBeStrings() throws {
        try expectSchemaFailure(game(after: "game.input = {\n turn = \"i8\",\n say = \"string\", -- here\n}"), "inputs cannot be strings")
    }

    // MARK: The game table

    @Test func stateMustBeATable() throws {
        let missing = "local game = {}\nfunction game.tick() end\nreturn game"
        let fixture = try GameFixture(game: missing)
        let error = try #require(throws: GameError.self) { try fixture.load() }
        #expect(error.message.contains("game.state is missing"))
        #expect(error.location?.hasPrefix(fixture.path + "/game.lua:") == true)
        try expectSchemaFailure("local game = {}\ngame.state = 5 -- here\nfunction game.tick() end\nreturn game", "must be a table, got number")
    }

    @Test func callbacksMustBeFunctions() throws {
        let noTick = "local game = {}\ngame.state = { ship = { x = \"u8\" } }\nreturn game"
        let fixture = try GameFixture(game: noTick)
        let error = try #require(throws: GameError.self) { try fixture.load() }
        #expect(error.message.contains("game.tick is missing"))
        #expect(error.location?.hasPrefix(fixture.path + "/game.lua:") == true)
        try expectSchemaFailure(game(top: "game.tick = 5 -- here").replacingOccurrences(of: "function game.tick(match, inputs, dt) end\n", with: ""),
                                "game.tick must be a function, got number")
        try expectSchemaFailure(game(after: "game.init = true -- here"), "game.init must be a function, got boolean")
        try expectSchemaFailure(game(after: "game.join = {} -- here"), "game.join must be a function, got table")
    }

    @Test(arguments: ["tick_rate = 0", "tick_rate = 121", "tick_rate = 2.5", "tick_rate = \"30\"",
                      "max_players = 0", "max_players = 256", "name = \"\"",
                      "empty_timeout = 0", "empty_timeout = 604801", "empty_timeout = 1.5", "empty_timeout = true",
                      "empty_timeout = \"300\""])
    func settingsOutOfRange(setting: String) throws {
        let source = "local game = {\n \(setting), -- here\n}\n"
            + "game.state = { ship = { x = \"u8\" } }\nfunction game.tick() end\nreturn game"
        try expectSchemaFailure(source, "game." + setting.prefix { $0 != " " })
    }

    @Test func settingsAtTheLimitsLoad() throws {
        for (rate, players) in [(1, 1), (120, 255)] {
            let fixture = try GameFixture(game: game(top: "game.tick_rate, game.max_players = \(rate), \(players)"))
            let loaded = try fixture.load()
            #expect((loaded.tickRate, loaded.maxPlayers) == (rate, players))
        }
    }

    @Test(arguments: ["send_rate = 0", "send_rate = -20", "send_rate = 61", "send_rate = 0/0", "send_rate = 1/0",
                      "send_rate = 20.5", "send_rate = \"20\"", "send_rate = true", "send_rate = {}"])
    func sendRatesOutOfRange(setting: String) throws {
        let source = "local game = {\n tick_rate = 60,\n \(setting), -- here\n}\n"
            + "game.state = { ship = { x = \"u8\" } }\nfunction game.tick() end\nreturn game"
        try expectSchemaFailure(source, "game.send_rate must be a whole number of snapshots per second from 1 to the tick rate (60), got ")
    }

    /// The bound is the game's own tick rate, the default one included.
    @Test func aSendRateAboveTheTickRateIsRefusedWhereItIsSet() throws {
        try expectSchemaFailure(game(after: "game.send_rate = 31 -- here"), "from 1 to the tick rate (30), got 31")
    }

    @Test func theSendRateIsTheTickRateUnlessSet() throws {
        let plain = try GameFixture(game: game(top: "game.tick_rate = 60")).load()
        #expect((plain.tickRate, plain.sendRate) == (60, 60))
        #expect(plain.sendSchedule == SendSchedule(tickRate: 60, sendRate: 60))
        for rate in [1, 20, 25, 60] {
            let loaded = try GameFixture(game: game(top: "game.tick_rate, game.send_rate = 60, \(rate)")).load()
            #expect((loaded.tickRate, loaded.sendRate) == (60, rate))
        }
        #expect(try GameFixture(game: game()).load().sendRate == 30)
    }

    @Test func theEmptyTimeoutIsSecondsOrFalse() throws {
        #expect(try GameFixture(game: game()).load().emptyTimeout == nil)
        let seconds = try GameFixture(game: game(top: "game.empty_timeout = 300")).load()
        #expect(seconds.emptyTimeout == .after(.seconds(300)))
        #expect(seconds.emptyTimeout?.duration == .seconds(300))
        let never = try GameFixture(game: game(top: "game.empty_timeout = false")).load()
        #expect(never.emptyTimeout == .never)
        #expect(never.emptyTimeout?.duration == nil)
        #expect(never.warnings.isEmpty)
        try expectSchemaFailure(game(top: "game.empty_timeout = -1 -- here"),
                                "game.empty_timeout must be a whole number of seconds from 1 to 604800, or false")
    }

    // MARK: Running the top level

    @Test func chunkMustReturnATable() throws {
        let fixture = try GameFixture(game: "local game = {}\nreturn 5")
        let error = try #require(throws: GameError.self) { try fixture.load() }
        #expect(error.message.contains("must end with `return game`"))
        #expect(error.message.contains("returned number"))
        #expect(error.location == fixture.path + "/game.lua:2")
    }

    @Test func syntaxAndRuntimeErrorsNameTheirLine() throws {
        let syntax = try expectFailure(game(top: "local a = = 1 -- here"), "unexpected symbol")
        #expect(syntax.location?.hasPrefix("/") == true)
        let runtime = try expectFailure(game(top: "local t = nil\nlocal y = t.x -- here"), "attempt to index a nil value")
        #expect(runtime.traceback?.contains("stack traceback") == true)
        try expectFailure(game(top: "error('no luck') -- here"), "no luck")
    }

    @Test func missingGameFileIsExplained() throws {
        let fixture = try GameFixture(["bot.lua": "return {}"])
        let error = try #require(throws: GameError.self) { try fixture.load() }
        #expect(error.message == "\(fixture.path)/game.lua not found: a game folder holds its rules in game.lua")
        let nowhere = fixture.path + "/nope"
        let missing = try #require(throws: GameError.self) { try GameDefinition.load(folder: nowhere) }
        #expect(missing.message.contains("\(nowhere) is not a game folder"))
    }

    @Test func requireLoadsModulesFromTheGameFolder() throws {
        let source = """
            local tuning = require("rules.tuning")
            local game = { name = tuning.name, tick_rate = tuning.rate }
            game.state = { ship = { x = "u8" } }
            function game.tick(match) end
            return game
            """
        let fixture = try GameFixture(["game.lua": source, "rules/tuning.lua": "return { name = \"tuned\", rate = 60 }"])
        let loaded = try fixture.load()
        #expect((loaded.name, loaded.tickRate) == ("tuned", 60))
        _ = try Match(game: loaded)        // a match's own state finds the module too
    }

    @Test func moduleErrorsNameTheModule() throws {
        let fixture = try GameFixture(["game.lua": game(top: "local m = require('broken')"), "broken.lua": "local x = nil\nreturn x.y"])
        let error = try #require(throws: GameError.self) { try fixture.load() }
        #expect(error.location?.hasSuffix("broken.lua:2") == true)
    }

    @Test func runawayTopLevelHitsTheTimeLimit() throws {
        let error = try expectFailure(game(top: "local n = 0\nwhile true do n = n + 1 end -- here"), "time limit",
                                      limits: LuaLimits(timeLimit: .milliseconds(100)))
        #expect(error.message.contains("0.1 seconds"))
    }

    /// Lua keeps 59 characters of a chunk name (`LUA_IDSIZE`); a game under
    /// a long path (any temporary folder on macOS) still gets its whole name.
    @Test
    func errorsUnderALongPathNameTheWholePath() throws {
        let deep = "games-" + String(repeating: "x", count: 60)
        let fixture = try GameFixture(["\(deep)/game.lua": game(top: "error('boom')")])
        let folder = fixture.path + "/" + deep
        let error = try #require(throws: GameError.self) { try GameDefinition.load(folder: folder) }
        #expect(error.location == folder + "/game.lua:2")
    }
}
