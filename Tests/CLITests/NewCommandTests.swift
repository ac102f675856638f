import Foundation
import Testing

// `tickwire new`: every template writes a game that passes `check --strict`
// and plays bot matches to a result; bad requests write nothing.

@Suite struct NewCommandTests {
    @Test(arguments: ["arena", "topdown", "3d", "cards", "chat"])
    func aTemplatesGameChecksCleanAndPlaysToAResult(_ template: String) throws {
        let games = try GameFolder([:])
        let made = try tickwire("new", "my_\(template)", "--template", template, "--into", games.path)
        let folder = games.path + "/my_\(template)"
        #expect(made.status == 0 && made.stderr.isEmpty, "\(made)")
        #expect(made.stdoutLines.first == "\(folder): a new game from the \(template) template", "\(made)")
        #expect(made.stdout.contains("tickwire check \(folder)"), "\(made)")
        for file in ["game.lua", "bot.lua", "README.md", ".tickwire/types.lua", ".luarc.json", ".luacheckrc"] {
            #expect(FileManager.default.fileExists(atPath: folder + "/" + file), "\(file) in \(made)")
        }
        let readme = try String(contentsOfFile: folder + "/README.md", encoding: .utf8)
        #expect(readme.hasPrefix("# my_\(template)\n") && readme.contains("tickwire bots \(folder) --matches 4"), "\(readme)")

        let check = try tickwire("check", folder, "--strict")
        #expect(check.status == 0 && check.stderr.isEmpty, "\(check)")
        #expect(check.stdoutLines.first?.hasPrefix("\(folder): ok — my_\(template),") == true, "\(check)")

        // Default players (8, or max_players when fewer) and ticks: every match must end by itself.
        let bots = try tickwire("bots", folder, "--matches", "2", "--quiet")
        #expect(bots.status == 0, "\(bots)")
        let rows = tableRows(bots.stdout)
        #expect(rows.count == 2 && rows.allSatisfy { $0.outcome.hasPrefix("finished: ") }, "\(bots)")
    }

    @Test func aGameGoesToGamesInTheCurrentFolderByDefault() throws {
        let here = try GameFolder([:])
        let made = try tickwire("new", "tiny", in: here.url)
        #expect(made.status == 0, "\(made)")
        #expect(made.stdoutLines.first == "games/tiny: a new game from the arena template", "\(made)")
        #expect(made.stdout.contains("tickwire serve games --dev"), "\(made)")
        let rules = try String(contentsOf: here.url.appendingPathComponent("games/tiny/game.lua"), encoding: .utf8)
        #expect(rules.contains(#"local game = { name = "tiny","#))
    }

    @Test func anUnknownTemplateIsRefusedWithTheList() throws {
        let games = try GameFolder([:])
        let run = try tickwire("new", "x", "--template", "rpg", "--into", games.path)
        #expect(run.status == 1 && run.exitedCleanly, "\(run)")
        #expect(run.stderrLines.first == "unknown template 'rpg'; the templates are:", "\(run)")
        for template in ["arena", "topdown", "3d", "cards", "chat"] {
            #expect(run.stderrLines.contains { $0.hasPrefix("  \(template): ") }, "\(run)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: games.path).isEmpty)
    }

    @Test(arguments: ["../escape", "a b", "-dash", "dot.ted", "", String(repeating: "n", count: 65), "é"])
    func anUnsafeNameIsRefused(_ name: String) throws {
        let games = try GameFolder([:])
        let run = try tickwire("new", "--into", games.path, "--", name)
        #expect(run.status == 1 && run.exitedCleanly, "\(run)")
        #expect(run.stderr.contains("'\(name)' cannot be a game's name: use letters, digits, '_' and '-'"), "\(run)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: games.path).isEmpty)
    }

    @Test func aFolderThatIsNotEmptyIsLeftAlone() throws {
        let games = try GameFolder(["taken/game.lua": "-- mine"])
        let run = try tickwire("new", "taken", "--template", "chat", "--into", games.path)
        #expect(run.status == 1 && run.exitedCleanly, "\(run)")
        #expect(run.stderr.contains("\(games.path)/taken already exists and is not empty"), "\(run)")
        #expect(try String(contentsOfFile: games.path + "/taken/game.lua", encoding: .utf8) == "-- mine")
        #expect(try FileManager.default.contentsOfDirectory(atPath: games.path + "/taken") == ["game.lua"])

        // An empty folder is fine.
        try FileManager.default.createDirectory(atPath: games.path + "/empty", withIntermediateDirectories: false)
        let empty = try tickwire("new", "empty", "--into", games.path)
        #expect(empty.status == 0, "\(empty)")
    }
}
