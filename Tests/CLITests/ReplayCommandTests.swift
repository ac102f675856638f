import Client
import Foundation
import Testing
import TestSupport

/// `tickwire bots --record` and `tickwire replay` as a tester uses them:
/// every recorded match plays back to the hash `bots` printed, a changed
/// rule is caught at its tick, a broken file is named.
@Suite(.timeLimit(.minutes(3))) struct ReplayCommandTests {
    /// A scratch folder removed when the test ends.
    final class Scratch {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tw-rec-\(UUID().uuidString)").path
        deinit { try? FileManager.default.removeItem(atPath: path) }
        var files: [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted().map { path + "/" + $0 }
        }
    }

    /// The `bots --json` reports: match number → (state hash, recording).
    func reports(_ run: Outcome) throws -> [Int: (hash: String, file: String?)] {
        var out: [Int: (String, String?)] = [:]
        for line in run.stdoutLines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            out[try #require(object["match"] as? Int)] = (try #require(object["state_hash"] as? String), object["recording"] as? String)
        }
        return out
    }

    @Test(arguments: [1, 2])
    func everyRecordedBotMatchReplaysToTheHashBotsPrinted(workers: Int) throws {
        let scratch = Scratch()
        let run = try tickwire("bots", "games/arena", "--matches", "8", "--players", "6", "--ticks", "400", "--seed", "11",
                               "--workers", "\(workers)", "--record", scratch.path, "--json", "--quiet")
        #expect(run.status == 0, "\(run)")
        let reports = try reports(run)
        #expect(reports.count == 8)
        #expect(scratch.files.count == 8)
        for (match, report) in reports.sorted(by: { $0.key < $1.key }) {
            let file = try #require(report.file, "match \(match) has no recording")
            let replay = try tickwire("replay", file)
            #expect(replay.status == 0, "\(replay)")
            #expect(replay.stdout.contains("state hash \(report.hash): matches the recording at"), "match \(match): \(replay)")
            #expect(replay.stdout.contains("and at the end"), "\(replay)")
        }
    }

    @Test func aChangedConstantInTheRulesExitsOneNamingTheTickAndTheField() throws {
        let scratch = Scratch()
        let run = try tickwire("bots", "games/arena", "--matches", "1", "--players", "8", "--ticks", "600", "--seed", "3",
                               "--record", scratch.path, "--quiet")
        #expect(run.status == 0, "\(run)")
        let file = try #require(scratch.files.first)
        let source = try String(contentsOfFile: repoRoot.path + "/games/arena/game.lua", encoding: .utf8)
        let changed = try GameFixture(["game.lua": source.replacingOccurrences(of: "local MAX_SPEED     = 320", with: "local MAX_SPEED     = 330"),
                                       "bot.lua": try String(contentsOfFile: repoRoot.path + "/games/arena/bot.lua", encoding: .utf8)])
        #expect(source.contains("local MAX_SPEED     = 320"))
        let replay = try tickwire("replay", file, "--game", changed.path)
        #expect(replay.status == 1, "\(replay)")
        #expect(replay.stdout.contains("\(changed.path)/game.lua differs from the recorded one"), "\(replay)")
        let line = try #require(replay.stderrLines.first { $0.hasPrefix("diverged at tick ") }, "\(replay)")
        let tick = Int(line.dropFirst("diverged at tick ".count).prefix { $0.isNumber })
        #expect(tick != nil && tick! > 0 && tick! < 600, "\(line)")
        #expect(replay.stderr.contains(" was ") && replay.stderr.contains(", now "), "names the field and both values: \(replay)")
    }

    @Test func onlyFailedMatchesAreKeptWithRecordFailures() throws {
        let scratch = Scratch()
        let game = try GameFixture(["game.lua": """
            local game = { name = "flaky", tick_rate = 30, max_players = 2 }
            game.state = { match = { n = "u16" } }
            game.input = { go = "bool" }
            function game.init(match, params) match.n = 0 end
            function game.tick(match, inputs, dt)
              match.n = match.tick
              if match.tick == 20 and match:random(1, 2) == 1 then error("unlucky") end
            end
            return game
            """, "bot.lua": "return { think = function(view, me) return { go = true } end }"])
        let run = try tickwire("bots", game.path, "--matches", "10", "--players", "1", "--ticks", "40",
                               "--record-failures", scratch.path, "--json", "--quiet", "--max-errors", "1")
        let reports = try reports(run)
        let failed = run.stdoutLines.filter { $0.contains("\"outcome\":\"failed\"") }.count
        #expect(failed > 0 && failed < 10, "\(run)")
        #expect(scratch.files.count == failed)
        #expect(Set(reports.values.compactMap(\.file)) == Set(scratch.files))
        let replay = try tickwire("replay", scratch.files[0], "--game", game.path)
        #expect(replay.status == 0, "\(replay)")
        #expect(replay.stdout.contains("unlucky"), "\(replay)")
    }

    @Test func theStateAtATickPrintsAsJSON() throws {
        let scratch = Scratch()
        _ = try tickwire("bots", "games/arena", "--matches", "1", "--players", "3", "--ticks", "50", "--record", scratch.path, "--quiet")
        let replay = try tickwire("replay", try #require(scratch.files.first), "--until", "20", "--json")
        #expect(replay.status == 0, "\(replay)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(replay.stdout.utf8)) as? [String: Any])
        #expect(object["tick"] as? Int == 20)
        #expect((object["players"] as? [Any])?.count == 3)
        let ships = try #require((object["entities"] as? [String: Any])?["ship"] as? [[String: Any]])
        #expect(ships.count == 3 && ships.allSatisfy { $0["x"] is Double || $0["x"] is Int })
    }

    @Test func aBrokenFileIsNamedWithItsOffsetAndExitsTwo() throws {
        let scratch = Scratch()
        _ = try tickwire("bots", "games/arena", "--matches", "1", "--players", "2", "--ticks", "90", "--record", scratch.path, "--quiet")
        let file = try #require(scratch.files.first)
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: file)))
        bytes[bytes.count / 2] ^= 0x10
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        let damaged = try tickwire("replay", file)
        #expect(damaged.status == 2, "\(damaged)")
        #expect(damaged.stderr.contains("byte ") && damaged.stderr.contains("checksum"), "\(damaged)")
        try Data("not a replay".utf8).write(to: URL(fileURLWithPath: file))
        let garbage = try tickwire("replay", file)
        #expect(garbage.status == 2 && garbage.stderr.contains("not a Tickwire replay"), "\(garbage)")
        let missing = try tickwire("replay", scratch.path + "/nothing.twreplay")
        #expect(missing.status == 2 && missing.stderr.contains("cannot read"), "\(missing)")
    }

    @Test func aServedReplayIsSpectatedAndStopsOnSigterm() async throws {
        let scratch = Scratch()
        // 60 s of play at the game's speed: still playing when the spectator comes, however busy the machine.
        _ = try tickwire("bots", "games/arena", "--matches", "1", "--players", "4", "--ticks", "1800", "--seed", "2",
                         "--param", "time_limit=1000", "--param", "score_limit=1000", "--record", scratch.path, "--quiet")
        let file = try #require(scratch.files.first)
        let server = try ServeCommandTests.ServerProcess([file, "--serve", "--port", "0"], command: "replay")
        let port = try await server.port()
        #expect(await server.logs("replaying \(file) as match "), "\(server.stderr)")
        let line = try #require(server.stderr.split(separator: "\n").first { $0.hasPrefix("replaying ") })
        let match = String(line.split(separator: " ").last ?? "")
        let watcher = try await TickwireConnection.connect("ws://127.0.0.1:\(port)/spectate?match=\(match)")
        _ = try await watcher.welcome
        let first = try #require(try await watcher.nextSnapshot()).header.tick
        let second = try #require(try await watcher.nextSnapshot()).header.tick
        #expect(second > first)
        kill(server.process.processIdentifier, SIGTERM)
        #expect(await server.exitStatus() == 0, "\(server.stderr)")
    }
}
