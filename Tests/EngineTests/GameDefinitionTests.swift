import Foundation
import Testing
import TestSupport
@testable import Engine
import Lua

/// A game around `state` (the body of `game.state`), with `top` before the
/// state and `after` after it. Mark the line an error must name with `-- here`.
private func game(state: String = "ship = { x = \"u8\" },", top: String = "", after: String = "") -> String {
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
private func expectFailure(_ source: String, _ words: String, limits: LuaLimits = LuaLimits(),
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
private func expectSchemaFailure(_ source: String, _ words: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
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
                      "max_players = 0", "max_players = 256", "name = \"\""])
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
