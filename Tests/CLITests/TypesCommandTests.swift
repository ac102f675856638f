import Foundation
import Testing
import TestSupport

/// `tickwire types` writes what an editor needs, and `tickwire check` runs
/// luacheck with it; both as a designer runs them, on copies of arena.
@Suite struct TypesCommandTests {
    /// A copy of games/arena, so the repository's own folder stays clean.
    private func arenaCopy(extra: [String: String] = [:], gameLua: (String) -> String = { $0 }) throws -> GameFixture {
        let game = try String(contentsOfFile: repoRoot.path + "/games/arena/game.lua", encoding: .utf8)
        let bot = try String(contentsOfFile: repoRoot.path + "/games/arena/bot.lua", encoding: .utf8)
        return try GameFixture(["game.lua": gameLua(game), "bot.lua": bot].merging(extra) { $1 })
    }

    private func read(_ fixture: GameFixture, _ name: String) throws -> String {
        try String(contentsOf: fixture.folder.appendingPathComponent(name), encoding: .utf8)
    }

    @Test func typesWritesArenasKindsFieldsMethodsAndEvents() throws {
        let arena = try arenaCopy()
        let run = try tickwire("types", arena.path)
        #expect(run.status == 0 && run.exitedCleanly, "\(run)")
        #expect(run.stdoutLines == ["wrote \(arena.path)/.tickwire/types.lua", "wrote \(arena.path)/.luarc.json",
                                    "wrote \(arena.path)/.luacheckrc"], "\(run)")
        let types = try read(arena, ".tickwire/types.lua")
        let lines = Set(types.split(separator: "\n").map(String.init))
        #expect(types.hasPrefix("---@meta"))
        for expected in [
            "---@class tw.ship : tw.Entity",
            "---@field x number declared fixed(-1024.0, 1024.0, 0.03125)",
            "---@field alive boolean declared bool",
            "---@field owner tw.ship|integer declared entity(ship)",
            "---@field x? number declared fixed(-1024.0, 1024.0, 0.03125)",          // tw.ship.fields
            "---@class tw.bullet.seen",
            "---@field owner integer declared entity(ship)",                            // as a bot sees it
            "---@field phase number declared u8 in game.state.match",
            "---@overload fun(self: tw.Match, kind: \"ship\", fields?: tw.ship.fields, options?: tw.SpawnOptions): tw.ship",
            "---@overload fun(self: tw.Match, kind: \"bullet\"): fun(): tw.bullet?",
            "---@overload fun(self: tw.Match, name: \"kill\", data?: tw.events.kill)",
            "---@field victim? tw.ship|integer declared entity(ship)",
            "---@alias tw.Kind \"bullet\"|\"ship\"",
            "---@field turn integer declared i8",                                         // tw.Input
            "---@field tick? fun(match: tw.Match, inputs: table<integer, tw.Input>, dt: number) required: every tick",
            "---@field think fun(view: tw.View, me: tw.Me): tw.BotInput?, tw.BotEvent[]? nil sends no input this tick; the second value, client events to send",
            "---@field ship tw.ship.seen[] the live ship entities, in id order",
        ] {
            #expect(lines.contains(expected), "types.lua lacks \(expected)")
        }
        for method in ["spawn(kind, fields, options)", "despawn(entity)", "each(kind)", "count(kind)", "entity(id)", "random()",
                       "broadcast(name, data)", "send(player, name, data)", "hide(entity, player)", "show(entity, player)",
                       "reset_visibility(entity)"] {
            #expect(lines.contains("function Match:\(method) end"), "types.lua lacks match:\(method)")
        }

        let luarc = try #require(try JSONSerialization.jsonObject(with: Data(read(arena, ".luarc.json").utf8)) as? [String: Any])
        #expect(luarc["runtime.version"] as? String == "Lua 5.4")
        #expect(luarc["workspace.library"] as? [String] == [".tickwire"])
        #expect((luarc["runtime.builtin"] as? [String: String])?["os"] == "disable")

        let luacheckrc = try read(arena, ".luacheckrc")
        #expect(luacheckrc.contains("std = \"tickwire\""))
        #expect(luacheckrc.contains("\"format\""))
        #expect(!luacheckrc.contains("\"os\"") && !luacheckrc.contains("\"dump\"") && !luacheckrc.contains("\"randomseed\""))
    }

    @Test func typesKeepsAHandEditedSettingsFileAndRewritesTheRest() throws {
        let arena = try arenaCopy()
        #expect(try tickwire("types", arena.path).status == 0)
        let edited = "{ \"runtime.version\": \"Lua 5.4\", \"diagnostics.disable\": [\"lowercase-global\"] }\n"
        try edited.write(to: arena.folder.appendingPathComponent(".luarc.json"), atomically: true, encoding: .utf8)
        try "-- stale".write(to: arena.folder.appendingPathComponent(".tickwire/types.lua"), atomically: true, encoding: .utf8)

        let again = try tickwire("types", arena.path)
        #expect(again.status == 0, "\(again)")
        #expect(try read(arena, ".luarc.json") == edited)
        #expect(again.stderr.contains("note: \(arena.path)/.luarc.json has been edited, so it was left as it is"), "\(again)")
        #expect(again.stdoutLines == ["wrote \(arena.path)/.tickwire/types.lua", "wrote \(arena.path)/.luacheckrc"], "\(again)")
        #expect(try read(arena, ".tickwire/types.lua").hasPrefix("---@meta"))
        #expect(try read(arena, ".tickwire/luarc.json").contains("workspace.library"))
    }

    @Test func typesOfAGameThatDoesNotLoadNamesTheLine() throws {
        let broken = try GameFixture(game: "local game = {}\ngame.state = { dot = { x = 'fixd' } }\nfunction game.tick() end\nreturn game")
        let run = try tickwire("types", broken.path)
        #expect(run.status == 1 && run.exitedCleanly, "\(run)")
        #expect(run.stderr.contains("game.lua:2: state.dot.x: unknown field type 'fixd'"), "\(run)")
        #expect(!FileManager.default.fileExists(atPath: broken.path + "/.luarc.json"))

        let missing = try tickwire("types", broken.path + "/nope")
        #expect(missing.status == 1 && missing.stderr.contains("is not a game folder"), "\(missing)")
    }

    // MARK: luacheck

    @Test(.enabled(if: luacheck != nil, "luacheck is not installed (Debian: apt-get install lua-check)"))
    func luacheckWithTheGeneratedSettingsAcceptsArenaAndFlagsWhatTheSandboxLacks() throws {
        let luacheck = try #require(luacheck)
        let arena = try arenaCopy()
        #expect(try tickwire("types", arena.path).status == 0)
        let clean = try run(luacheck, ["--formatter", "plain", "--codes", "--no-color", "."], in: arena.folder)
        #expect(clean.status == 0 && clean.output.isEmpty, "\(clean.output)")

        let typos = try arenaCopy(extra: ["lib/util.lua": "local t = os.time()\nreturn string.dump ~= nil and t\n"]) {
            "undefined_thing = 1\n" + $0
        }
        #expect(try tickwire("types", typos.path).status == 0)
        let flagged = try run(luacheck, ["--formatter", "plain", "--codes", "--no-color", "."], in: typos.folder)
        #expect(flagged.status == 1, "\(flagged.output)")
        #expect(flagged.output.contains("game.lua:1:1: (W111) setting non-standard global variable 'undefined_thing'"),
                "\(flagged.output)")
        #expect(flagged.output.contains("lib/util.lua:1:11: (W113) accessing undefined variable 'os'"), "\(flagged.output)")
        #expect(flagged.output.contains("(W143) accessing undefined field 'dump' of global 'string'"), "\(flagged.output)")
        #expect(!flagged.output.contains("types.lua"), "the annotations are not checked: \(flagged.output)")
    }

    @Test(.enabled(if: luacheck != nil, "luacheck is not installed (Debian: apt-get install lua-check)"))
    func checkReportsLuachecksFindingsAsWarnings() throws {
        let source = "undefined_thing = 1 -- here\n"
        let game = try arenaCopy { source + $0 }
        let run = try tickwire("check", game.path, "--ticks", "30")
        #expect(run.status == 0, "\(run)")
        #expect(run.stderr.contains("\(game.path)/game.lua:1:1: warning: setting non-standard global variable 'undefined_thing' (luacheck W111)"),
                "\(run)")
        #expect(run.stdout.contains("  warnings: 1"), "\(run)")
        #expect(try tickwire("check", game.path, "--ticks", "30", "--strict").status == 1)
    }

    @Test func checkWarnsOfAMethodMatchDoesNotHave() throws {
        let source = """
            local game = { name = "typo" }
            game.state = { dot = { x = "u8" } }
            function game.tick(match, inputs, dt)
              if match.tick < 0 then match:spwan("dot", { x = 1 }) end -- here
            end
            return game
            """
        let game = try GameFixture(game: source)
        let run = try tickwire("check", game.path, "--ticks", "30")
        #expect(run.status == 0, "\(run)")
        #expect(run.stderr.contains("game.lua:\(line(of: "-- here", in: source)): warning: match has no method spwan (did you mean match:spawn?)"),
                "\(run)")
        #expect(try tickwire("check", game.path, "--ticks", "30", "--strict").status == 1)
    }

    // MARK: Helpers

    private func run(_ executable: URL, _ arguments: [String], in folder: URL) throws -> (status: Int32, output: String) {
        let output = folder.appendingPathComponent(".luacheck-output")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let sink = try FileHandle(forWritingTo: output)
        defer { try? sink.close() }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = folder
        process.standardOutput = sink
        process.standardError = sink
        try process.run()
        process.waitUntilExit()
        return (process.terminationStatus, try String(contentsOf: output, encoding: .utf8))
    }
}

/// luacheck on PATH, if installed: the tests that need it are skipped without it.
private let luacheck: URL? = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
    .map { URL(fileURLWithPath: String($0)).appendingPathComponent("luacheck") }
    .first { FileManager.default.isExecutableFile(atPath: $0.path) }
