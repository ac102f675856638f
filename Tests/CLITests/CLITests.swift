import Dispatch
import Foundation
import Testing
import TestSupport

// End-to-end tests of the `tickwire` command: the built binary run as a
// subprocess, as a designer runs it, with its exit status, stdout and stderr.

/// The repository's root (the folder with Package.swift and games/arena), found from this file.
let repoRoot: URL = {
    var url = URL(fileURLWithPath: #filePath)
    while url.path != "/" {
        url.deleteLastPathComponent()
        if FileManager.default.fileExists(atPath: url.appendingPathComponent("games/arena/game.lua").path) { return url }
    }
    return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
}()

/// The `tickwire` binary built with these tests: `$TICKWIRE_BINARY`, else next
/// to the running test binary (`.build/<triple>/<config>/` on Linux, beside
/// the `.xctest` bundle on macOS), else `.build/{debug,release}/tickwire`.
let tickwireBinary: URL? = {
    var candidates: [URL] = []
    if let path = ProcessInfo.processInfo.environment["TICKWIRE_BINARY"] { candidates.append(URL(fileURLWithPath: path)) }
    var folders: [URL] = []
    if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
        folders.append(URL(fileURLWithPath: exe).deletingLastPathComponent())
    }
    if let arg0 = CommandLine.arguments.first, arg0.contains("/") {
        folders.append(URL(fileURLWithPath: arg0).resolvingSymlinksInPath().deletingLastPathComponent())
    }
    for bundle in [Bundle.main] + Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") || bundle == Bundle.main {
        folders.append(bundle.bundleURL)
        folders.append(bundle.bundleURL.deletingLastPathComponent())
    }
    for folder in folders {
        // An .xctest bundle on macOS: Contents/MacOS/<binary>, three levels below the build folder.
        var url = folder
        for _ in 0..<4 {
            candidates.append(url.appendingPathComponent("tickwire"))
            url.deleteLastPathComponent()
        }
    }
    candidates += ["debug", "release"].map { repoRoot.appendingPathComponent(".build/\($0)/tickwire") }
    return candidates.first { url in
        var isFolder: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) && !isFolder.boolValue
            && FileManager.default.isExecutableFile(atPath: url.path)
    }
}()

/// What one run of `tickwire` did.
struct Outcome: CustomStringConvertible {
    var status: Int32
    /// Ended by a signal (a crash, or the timeout's kill) rather than exiting.
    var signaled: Bool
    var timedOut: Bool
    var stdout: String
    var stderr: String

    var exitedCleanly: Bool { !signaled && !timedOut }
    var stdoutLines: [String] { stdout.split(separator: "\n").map(String.init) }
    var stderrLines: [String] { stderr.split(separator: "\n").map(String.init) }
    var description: String { "status \(status)\(signaled ? " (signal)" : "")\(timedOut ? " (timed out)" : "")\n--- stdout\n\(stdout)\n--- stderr\n\(stderr)" }
}

/// Runs `tickwire` with `arguments` in `directory` (the repository root by
/// default); kills it after `timeout` seconds so a hang fails the test
/// instead of blocking the suite.
func tickwire(_ arguments: String..., in directory: URL = repoRoot, timeout: Double = 60) throws -> Outcome {
    try tickwire(arguments, in: directory, timeout: timeout)
}

func tickwire(_ arguments: [String], in directory: URL = repoRoot, timeout: Double = 60) throws -> Outcome {
    let binary = try #require(tickwireBinary, "no tickwire binary found beside the test binary or in \(repoRoot.path)/.build; build it with `swift build --build-tests` or set TICKWIRE_BINARY")
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("tw-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    let outURL = scratch.appendingPathComponent("stdout"), errURL = scratch.appendingPathComponent("stderr")
    _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
    let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
    defer { try? out.close(); try? err.close() }

    let process = Process()
    process.executableURL = binary
    process.arguments = arguments
    process.currentDirectoryURL = directory
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = out
    process.standardError = err
    let exited = DispatchSemaphore(value: 0)
    process.terminationHandler = { _ in exited.signal() }
    try process.run()
    var timedOut = false
    if exited.wait(timeout: .now() + timeout) == .timedOut {
        timedOut = true
        kill(process.processIdentifier, SIGKILL)
        exited.wait()
    }
    let stdout = String(decoding: try Data(contentsOf: outURL), as: UTF8.self)
    let stderr = String(decoding: try Data(contentsOf: errURL), as: UTF8.self)
    return Outcome(status: process.terminationStatus, signaled: process.terminationReason == .uncaughtSignal,
                   timedOut: timedOut, stdout: stdout, stderr: stderr)
}

/// A game folder written for one test, removed when the test ends.
final class GameFolder {
    let url: URL
    init(_ files: [String: String]) throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("tw-cli-game-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        for (name, text) in files {
            let file = url.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: file, atomically: true, encoding: .utf8)
        }
    }
    var path: String { url.path }
    deinit { try? FileManager.default.removeItem(at: url) }
}


/// One row of `tickwire bots`' table.
struct Row {
    let match: Int
    let ticks: Int
    let hash: String
    let outcome: String
}

/// The rows of `tickwire bots`' table (`    1    300  150edabb172c084e  ran out of ticks`).
func tableRows(_ stdout: String) -> [Row] {
    stdout.split(separator: "\n").compactMap { line in
        let parts = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: true)
        guard parts.count == 4, let match = Int(parts[0]), let ticks = Int(parts[1]) else { return nil }
        return Row(match: match, ticks: ticks, hash: String(parts[2]), outcome: parts[3].trimmingCharacters(in: .whitespaces))
    }
}

private func isHash(_ text: String) -> Bool {
    text.count == 16 && text.allSatisfy { $0.isHexDigit && !$0.isUppercase }
}

@Suite struct CLITests {
    // MARK: check

    @Test func checkArenaListsItsKinds() throws {
        let run = try tickwire("check", "games/arena")
        #expect(run.status == 0 && run.exitedCleanly, "\(run)")
        let lines = run.stdoutLines
        #expect(lines.first?.hasPrefix("games/arena: ok — arena, 30 Hz, up to 16 players") == true, "\(run)")
        #expect(lines.contains("  match: phase: u8, time_left: u16"))
        #expect(lines.contains { $0.hasPrefix("  ship: alive: bool, angle: angle(10),") })
        #expect(lines.contains { $0.hasPrefix("  bullet: owner: entity(ship),") })
        #expect(lines.contains("  input: fire: bool, thrust: bool, turn: i8"))
        #expect(lines.contains("  event kill: killer: entity(ship), victim: entity(ship)"))
        #expect(lines.contains("  bot.lua: ok"))
        #expect(run.stderr.isEmpty, "\(run)")
    }

    @Test func checkShowsTheSendRateWhenItIsNotTheTickRate() throws {
        let folder = try GameFolder(["game.lua": """
            local game = { name = "rated", tick_rate = 60, send_rate = 20, max_players = 2 }
            game.state = { dot = { x = "u8" } }
            function game.tick() end
            return game
            """])
        let run = try tickwire("check", folder.path, "--strict")
        #expect(run.status == 0 && run.exitedCleanly, "\(run)")
        #expect(run.stdoutLines.first == "\(folder.path): ok — rated, 60 Hz (snapshots at 20 Hz), up to 2 players", "\(run)")
    }

    @Test func checkOfChatSaysItsRoomsAreKeptWhenEmptyAndStrictPasses() throws {
        let run = try tickwire("check", "games/chat", "--strict")
        #expect(run.status == 0 && run.exitedCleanly, "\(run)")
        #expect(run.stdoutLines.first == "games/chat: ok — chat, 10 Hz, up to 32 players, kept when empty", "\(run)")
        #expect(run.stdoutLines.contains("  event said: by: entity(member), name: string(32), text: string(200)"))
    }

    @Test func checkOfCardsPassesStrictWithASmokeMatchAtAFullTable() throws {
        let run = try tickwire("check", "games/cards", "--strict")
        #expect(run.status == 0 && run.exitedCleanly, "\(run)")
        #expect(run.stdoutLines.first == "games/cards: ok — cards, 10 Hz, up to 5 players", "\(run)")
        #expect(run.stdoutLines.contains("  card: owner: u8, rank: u8, suit: u8 — seen by its owner"))
        #expect(run.stdoutLines.contains("  spectators: what every player may see"), "\(run)")
        #expect(run.stdoutLines.contains { $0.hasPrefix("  smoke match: 5 of 5 players seated") && $0.hasSuffix(": ok") }, "\(run)")
        #expect(run.stderr.isEmpty, "\(run)")
    }

    @Test func checkOfWorldPassesStrictWithASmokeMatchOfTwoHundredBots() throws {
        let run = try tickwire("check", "games/world", "--strict")
        #expect(run.status == 0 && run.exitedCleanly, "\(run)")
        #expect(run.stdoutLines.first == "games/world: ok — world, 25 Hz, up to 200 players", "\(run)")
        #expect(run.stdoutLines.contains("  food: x: fixed(0.0, 8192.0, 0.25), y: fixed(0.0, 8192.0, 0.25)"))
        #expect(run.stdoutLines.contains { $0.hasPrefix("  smoke match: 200 of 200 players seated") && $0.hasSuffix(": ok") }, "\(run)")
        #expect(run.stderr.isEmpty, "\(run)")
    }

    @Test(arguments: [
        ("join", "function game.join(match, player) if player.id == 3 then error('no third') end return true end -- here"),
        ("tick", "function game.tick(match, inputs, dt) if match.tick == 120 then local x = nil; x.y = 1 end end -- here"),
        ("event", "function game.event(match, player, name, data) error('bad ' .. name) end -- here"),
        ("leave", "function game.leave(match, player) error('cannot leave') end -- here"),
    ])
    func checkPlaysASmokeMatchThatFindsEveryCallbacksErrors(_ callback: String, _ body: String) throws {
        var lines = ["local game = { name = 'smoky', max_players = 4 }",
                     "game.state = { dot = { x = 'u8' } }",
                     "game.input = { dx = 'i8', go = 'bool' }",
                     "game.client_events = { ping = { n = 'u8', text = { 'string', 8 } } }"]
        if callback != "tick" { lines.append("function game.tick(match, inputs, dt) end") }
        if callback != "event" { lines.append("function game.event(match, player, name, data) end") }
        lines += [body, "return game"]
        let source = lines.joined(separator: "\n")
        let game = try GameFolder(["game.lua": source])
        let run = try tickwire("check", game.path)
        #expect(run.status == 1 && run.exitedCleanly, "\(run)")
        #expect(run.stderr.contains("game.\(callback) failed at tick ") && run.stderr.contains("game.lua:\(line(of: "-- here", in: source))"), "\(run)")
        #expect(run.stdout.contains("smoke match: "), "\(run)")
    }

    @Test func checkWarnsOfMisspelledCallbacksAndStrictFailsOnThem() throws {
        let source = """
        local game = { name = "typos" }
        game.state = { dot = { x = "u8" } }
        game.client_events = { ping = { n = "u8" } }
        function game.tick(match, inputs, dt) end
        function game.leaves(match, player) end -- leaves
        function game.on_join(match, player) end -- on_join
        function game.spawn_dot(match) end
        return game
        """
        let game = try GameFolder(["game.lua": source])
        let run = try tickwire("check", game.path)
        #expect(run.status == 0, "\(run)")
        #expect(run.stderr.contains("game.lua:\(line(of: "-- leaves", in: source)): warning: Tickwire never calls game.leaves (did you mean game.leave?)"), "\(run)")
        #expect(run.stderr.contains("warning: Tickwire never calls game.on_join (did you mean game.join?)"), "\(run)")
        #expect(!run.stderr.contains("spawn_dot"), "a helper is not a typo: \(run)")
        #expect(run.stderr.contains("game.client_events is declared but there is no game.event"), "\(run)")
        let strict = try tickwire("check", game.path, "--strict")
        #expect(strict.status == 1, "\(strict)")
    }

    @Test func checkReloadsRulesThatDefineGameReloadAndNamesItsError() throws {
        let source = """
        local game = { name = "inplace" }
        game.state = { dot = { x = "u8" } }
        local dots = {}
        function game.init(match) dots[1] = match:spawn("dot", { x = 1 }) end
        function game.tick(match, inputs, dt) dots[1].x = (dots[1].x + 1) % 200 end
        function game.reload(match, old)
          for d in match:each("dot") do dots[#dots + 1] = d end
          error("reload is broken") -- broken
        end
        return game
        """
        let game = try GameFolder(["game.lua": source])
        let run = try tickwire("check", game.path, "--ticks", "40")
        #expect(run.status == 1, "\(run)")
        #expect(run.stderr.contains("game.reload failed at tick 20"), "\(run)")
        #expect(run.stderr.contains("game.lua:\(line(of: "-- broken", in: source)): reload is broken"), "\(run)")
        let fixed = try GameFolder(["game.lua": source.replacingOccurrences(of: "error(\"reload is broken\") -- broken", with: "")])
        #expect(try tickwire("check", fixed.path, "--ticks", "40").status == 0)
    }

    @Test func checkWarnsOfABotsUndeclaredInputFieldsAndStrictFailsOnThem() throws {
        let bot = "return { think = function(view, me)\n  return { dirr = 1 } -- here\nend }"
        let game = try GameFolder(["game.lua": "local g = { name = 'typo' }\ng.state = { dot = { x = 'u8' } }\ng.input = { dir = 'i8' }\nfunction g.tick() end\nreturn g",
                                   "bot.lua": bot])
        let run = try tickwire("check", game.path, "--ticks", "5")
        #expect(run.status == 0, "\(run)")
        #expect(run.stderrLines == ["\(game.path)/bot.lua:\(line(of: "-- here", in: bot)): warning: think returned input field 'dirr', which game.input does not declare (did you mean dir?)"], "\(run)")
        #expect(run.stdout.contains("  warnings: 1"), "\(run)")
        let strict = try tickwire("check", game.path, "--ticks", "5", "--strict")
        #expect(strict.status == 1, "\(strict)")
        let bots = try tickwire("bots", game.path, "--matches", "2", "--players", "2", "--ticks", "5")
        #expect(bots.status == 0, "\(bots)")
        #expect(bots.stderrLines.filter { $0.contains("warning: think returned input field 'dirr'") }.count == 1, "once for the run: \(bots)")
    }

    @Test func checkNamesTheLineOfABadFieldType() throws {
        let source = """
        local game = { name = "bad" }
        game.state = {
          dot = { y = "u8", x = "fixd" }, -- here
        }
        function game.tick(match, inputs, dt) end
        return game
        """
        let game = try GameFolder(["game.lua": source])
        let run = try tickwire("check", game.path)
        #expect(run.status == 1 && run.exitedCleanly, "\(run)")
        #expect(run.stderr.contains("game.lua:\(line(of: "-- here", in: source)): state.dot.x: unknown field type 'fixd'"), "\(run)")
        #expect(!run.stdout.contains(": ok"), "\(run)")
    }

    @Test func checkNamesTheLineOfASyntaxError() throws {
        let source = """
        local game = { name = "syntax" }
        game.state = { dot = { x = "u8" } }
        function game.tick(match, inputs, dt)
          local x = = 1 -- here
        end
        return game
        """
        let game = try GameFolder(["game.lua": source])
        let run = try tickwire("check", game.path)
        #expect(run.status == 1 && run.exitedCleanly, "\(run)")
        #expect(run.stderr.contains("game.lua:\(line(of: "-- here", in: source)): unexpected symbol near '='"), "\(run)")
    }

    @Test func checkNamesTheLineOfABotSyntaxError() throws {
        let bot = "local x = 1\nreturn { think = function(view, me) return { turn = } end } -- here"
        let game = try GameFolder(["game.lua": "local g = { name = 'b' }\ng.state = { dot = { x = 'u8' } }\ng.input = { turn = 'i8' }\nfunction g.tick() end\nreturn g", "bot.lua": bot])
        let run = try tickwire("check", game.path)
        #expect(run.status == 1 && run.exitedCleanly, "\(run)")
        #expect(run.stderr.contains("bot.lua:2:"), "\(run)")
    }

    @Test func checkOfAMissingFolderSaysSo() throws {
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("tw-no-such-game-\(UUID().uuidString)").path
        let run = try tickwire("check", missing)
        #expect(run.status == 1 && run.exitedCleanly, "\(run)")
        #expect(run.stderr.contains("\(missing) is not a game folder (expected \(missing)/game.lua)"), "\(run)")

        let empty = try GameFolder([:])
        let noRules = try tickwire("check", empty.path)
        #expect(noRules.status == 1 && noRules.exitedCleanly, "\(noRules)")
        #expect(noRules.stderr.contains("\(empty.path)/game.lua not found"), "\(noRules)")
    }

    // MARK: bots

    @Test func botsRepeatTheirHashesForASeed() throws {
        let args = ["bots", "games/arena", "--matches", "2", "--players", "4", "--ticks", "300"]
        let first = try tickwire(args + ["--seed", "42"])
        let second = try tickwire(args + ["--seed", "42"])
        let other = try tickwire(args + ["--seed", "43"])
        for run in [first, second, other] {
            #expect(run.status == 0 && run.exitedCleanly, "\(run)")
        }
        #expect(first.stdoutLines.first == "arena: 2 matches × 4 bots, up to 300 ticks, seed 42, 2 workers")
        let rows = tableRows(first.stdout)
        #expect(rows.map(\.match) == [1, 2], "\(first)")
        #expect(rows.allSatisfy { isHash($0.hash) && $0.ticks == 300 && $0.outcome == "ran out of ticks" }, "\(first)")
        #expect(Set(rows.map(\.hash)).count == 2)
        #expect(tableRows(second.stdout).map(\.hash) == rows.map(\.hash))
        #expect(Set(tableRows(other.stdout).map(\.hash)).isDisjoint(with: rows.map(\.hash)), "\(other)")
        #expect(first.stdoutLines.last?.contains("0 finished, 2 ran out of ticks, 0 failed") == true, "\(first)")

        // Without a terminal, progress is one plain line per match on stderr.
        let progress = first.stderrLines.filter { $0.hasPrefix("match ") && $0.contains(" done (") }
        #expect(progress.count == 2, "\(first)")
        for n in 1...2 {
            #expect(progress.contains { $0.hasPrefix("match \(n) done (") && $0.hasSuffix(": 300 ticks, ran out of ticks") }, "\(first)")
        }
        #expect(!first.stderr.contains("\u{1B}["), "no terminal escapes when stderr is not a terminal")
        #expect(!first.stderr.contains("\r"))
    }

    @Test func botsJSONIsOneObjectPerMatch() throws {
        let args = ["bots", "games/arena", "--matches", "2", "--players", "4", "--ticks", "300", "--seed", "42"]
        let json = try tickwire(args + ["--json"])
        let table = try tickwire(args + ["--workers", "1"])
        #expect(json.status == 0 && json.exitedCleanly, "\(json)")
        let lines = json.stdoutLines
        #expect(lines.count == 2, "\(json)")
        var objects: [[String: Any]] = []
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            objects.append(try #require(object, "not a JSON object: \(line)"))
        }
        for key in ["match", "seed", "ticks", "state_hash", "outcome"] {
            #expect(objects.allSatisfy { $0[key] != nil }, "missing \(key): \(json.stdout)")
        }
        #expect(objects.map { $0["match"] as? Int } == [1, 2])
        #expect(objects.map { $0["ticks"] as? Int } == [300, 300])
        #expect(objects.map { $0["outcome"] as? String } == ["unfinished", "unfinished"])
        let seeds = objects.compactMap { $0["seed"] as? Int64 ?? ($0["seed"] as? NSNumber)?.int64Value }
        #expect(seeds.count == 2 && seeds[0] != seeds[1] && !seeds.contains(42), "match seeds are derived from --seed")
        let hashes = objects.compactMap { $0["state_hash"] as? String }
        #expect(hashes.count == 2 && hashes.allSatisfy(isHash))
        // The same matches as the table, on one worker.
        #expect(hashes == tableRows(table.stdout).map(\.hash), "\(table)")
    }

    @Test(arguments: [
        (["--players", "99"], "arena seats at most 16 players; --players is 99"),
        (["--matches", "0"], "--matches must be from 1 to 100000"),
        (["--param", "novalue"], "--param takes key=value, got 'novalue'"),
        (["--ticks", "0"], "--ticks must be at least 1"),
        (["--players=-1"], "--players cannot be negative"),
        (["--time-limit-ms", "0"], "--time-limit-ms must be from 1 to 3600000"),
        (["--on-error", "panic"], "The value 'panic' is invalid for '--on-error <on-error>'"),
        (["--seed", "forty-two"], "The value 'forty-two' is invalid for '--seed <seed>'"),
    ])
    func botsRejectBadOptions(_ flags: [String], _ message: String) throws {
        let run = try tickwire(["bots", "games/arena", "--matches", "1", "--ticks", "5"] + flags)
        #expect(run.status != 0 && run.exitedCleanly, "\(run)")
        #expect(run.stderr.contains(message), "\(run)")
        #expect(tableRows(run.stdout).isEmpty, "no match was played: \(run)")
    }

    @Test func runawayTickFailsTheRunAtItsLine() throws {
        let source = """
        local game = { name = "runaway" }
        game.state = { dot = { x = "u8" } }
        function game.tick(match, inputs, dt)
          while true do end -- here
        end
        return game
        """
        let game = try GameFolder(["game.lua": source, "bot.lua": "return { think = function(view, me) return nil end }"])
        let run = try tickwire("bots", game.path, "--matches", "1", "--players", "1", "--ticks", "20",
                               "--time-limit-ms", "50", "--max-errors", "1")
        #expect(run.status == 1 && run.exitedCleanly, "\(run)")
        let wanted = "game.lua:\(line(of: "-- here", in: source)): time limit of 0.05 seconds exceeded"
        #expect(run.stdout.contains(wanted) || run.stderr.contains(wanted), "\(run)")
        let rows = tableRows(run.stdout)
        #expect(rows.count == 1 && rows.first?.ticks == 1, "\(run)")
        #expect(rows.first?.outcome.hasPrefix("FAILED: game.tick failed at tick 1") == true, "\(run)")
        #expect(run.stdoutLines.last?.contains("0 finished, 0 ran out of ticks, 1 failed") == true, "\(run)")
    }

    @Test func aScriptErrorFailsTheRunEvenWhenTheMatchGoesOn() throws {
        let source = """
        local game = { name = "flaky" }
        game.state = { dot = { x = "u8" } }
        function game.tick(match, inputs, dt)
          if match.tick == 3 then error("boom") end -- here
        end
        return game
        """
        let game = try GameFolder(["game.lua": source, "bot.lua": "return { think = function(view, me) return nil end }"])
        let args = ["bots", game.path, "--matches", "2", "--players", "1", "--ticks", "10", "--on-error", "skip"]
        let run = try tickwire(args)
        #expect(run.status == 1 && run.exitedCleanly, "\(run)")
        #expect(tableRows(run.stdout).allSatisfy { $0.ticks == 10 }, "the matches went on: \(run)")
        #expect(run.stderr.contains("script errors: 2 in game.lua, 0 in bot.lua, in 2 of 2 matches"), "\(run)")
        #expect(run.stderr.contains("match 1: game.tick failed at tick 3: ") && run.stderr.contains("game.lua:\(line(of: "-- here", in: source)): boom"), "\(run)")
        let allowed = try tickwire(args + ["--allow-script-errors"])
        #expect(allowed.status == 0, "\(allowed)")
    }

    @Test func botsAllRefusedByAFailingJoinFailTheRun() throws {
        let game = try GameFolder([
            "game.lua": "local g = { name = 'shut' }\ng.state = { dot = { x = 'u8' } }\nfunction g.join(match, player) error('no entry') end\nfunction g.tick() end\nreturn g",
            "bot.lua": "return { think = function() return nil end }",
        ])
        let run = try tickwire("bots", game.path, "--matches", "1", "--players", "2", "--ticks", "5")
        #expect(run.status == 1, "\(run)")
        #expect(run.stderr.contains("script errors: 2 in game.lua"), "\(run)")
    }

    @Test func botsWithoutABotSaySo() throws {
        let game = try GameFolder(["game.lua": "local g = { name = 'lonely' }\ng.state = { dot = { x = 'u8' } }\nfunction g.tick() end\nreturn g"])
        let run = try tickwire("bots", game.path, "--matches", "1", "--ticks", "5")
        #expect(run.status == 1 && run.exitedCleanly, "\(run)")
        #expect(run.stderr.contains("\(game.path) has no bot.lua"), "\(run)")
    }

    @Test func quietHidesTheGamesPrints() throws {
        let game = try GameFolder([
            "game.lua": "local g = { name = 'chatty' }\ng.state = { dot = { x = 'u8' } }\nfunction g.tick(match) if match.tick == 2 then print('hello from tick', match.tick) end end\nreturn g",
            "bot.lua": "return { think = function() print('bot says hi'); return nil end }",
        ])
        let loud = try tickwire("bots", game.path, "--matches", "1", "--players", "1", "--ticks", "3")
        let quiet = try tickwire("bots", game.path, "--matches", "1", "--players", "1", "--ticks", "3", "--quiet")
        #expect(loud.status == 0 && quiet.status == 0, "\(loud)\n\(quiet)")
        #expect(loud.stderrLines.contains("match 1: hello from tick\t2"), "\(loud)")
        #expect(loud.stderrLines.contains("match 1: bot says hi"), "\(loud)")
        #expect(!quiet.stderr.contains("hello") && !quiet.stderr.contains("bot says"), "\(quiet)")
        #expect(tableRows(quiet.stdout).map(\.hash) == tableRows(loud.stdout).map(\.hash))
    }
}
