import Client
import Foundation
import Protocol
@testable import Server
import Testing
import TestSupport

/// Hot reload on a live server (`serve --dev`): the rules file of a running
/// match is rewritten while two clients play it.
@Suite(.timeLimit(.minutes(2))) struct HotReloadTests {
    /// Every avatar's score grows by STEP per tick, from its join.
    static func counter(step: Int, level: Int? = nil) -> String {
        """
        local game = { name = "counter", tick_rate = 30, max_players = 4 }
        local STEP = \(step)
        game.state = { avatar = { owner = "u8", score = "i32"\(level == nil ? "" : ", level = \"u8\"") } }
        game.input = { push = "bool" }
        local avatars = {}
        function game.join(match, player)
          avatars[player.id] = match:spawn("avatar", { owner = player.id, score = 0\(level.map { ", level = \($0)" } ?? "") })
          return true
        end
        function game.leave(match, player)
          match:despawn(avatars[player.id]); avatars[player.id] = nil
        end
        function game.tick(match, inputs, dt)
          for _, a in pairs(avatars) do a.score = a.score + STEP end
        end
        return game
        """
    }

    /// A connection and the mirror of its current schema.
    final class Player {
        let connection: TickwireConnection
        var mirror: ClientMirror
        var welcomes = 0
        let matchID: String

        init(_ connection: TickwireConnection) async throws {
            self.connection = connection
            let welcome = try await connection.welcome
            mirror = ClientMirror(schema: welcome.schema)
            matchID = welcome.matchID
        }

        /// Reads messages until `done` holds for the mirror; a later welcome
        /// (a reload) starts a mirror of the new schema. False after `limit`
        /// snapshots, or if the connection ends.
        func read(limit: Int = 900, until done: (ClientMirror) -> Bool) async throws -> Bool {
            var snapshots = 0
            while snapshots < limit, let message = try await connection.next() {
                switch message {
                case .welcome(let welcome):
                    welcomes += 1
                    #expect(welcome.matchID == matchID)
                    if welcomes > 1 { mirror = ClientMirror(schema: welcome.schema) }
                case .snapshot(_, let bytes):
                    snapshots += 1
                    _ = try mirror.apply(bytes)
                    if done(mirror) { return true }
                case .error(let error):
                    Issue.record("server error: \(error)")
                    return false
                }
            }
            return false
        }

        func scores() -> [Int] {
            mirror.entities.compactMap { if case .number(let n)? = $0["score"] { Int(n) } else { nil } }
        }
    }

    static func listing(_ live: LiveServer, _ game: String) throws -> [String: Any]? {
        let answer = try RawHTTP(port: live.port).exchange("GET /games HTTP/1.1\r\nHost: x\r\n\r\n")
        let list = try JSONSerialization.jsonObject(with: Data(answer.body)) as? [[String: Any]]
        return list?.first { $0["name"] as? String == game }
    }

    /// Polls `GET /games` until `done` holds for `game`'s listing (at most `tries` times, each after a snapshot of `pacer`).
    static func awaitListing(_ live: LiveServer, _ game: String, pacer: Player, tries: Int = 600,
                             _ done: ([String: Any]?) -> Bool) async throws -> Bool {
        for _ in 0..<tries {
            if done(try listing(live, game)) { return true }
            _ = try await pacer.read(limit: 1) { _ in false }
        }
        return false
    }

    @Test func aSavedEditReachesTheRunningMatchWithoutDroppingAClient() async throws {
        let live = try await LiveServer(extraGames: ["counter": Self.counter(step: 1)]) { $0.hotReload = true }
        defer { Task { await live.stop() } }
        let rules = live.games.appendingPathComponent("counter/game.lua")
        let ann = try await Player(try await live.connect("/play?game=counter", name: "Ann"))
        let bob = try await Player(try await live.connect("/play?game=counter", name: "Bob"))
        #expect(ann.matchID == bob.matchID)
        for p in [ann, bob] { #expect(try await p.read { $0.entities.count == 2 }) }

        // A constant: the match is rebuilt as if STEP had always been 1000.
        try Self.counter(step: 1000).write(to: rules, atomically: true, encoding: .utf8)
        for p in [ann, bob] {
            #expect(try await p.read { _ in
                let scores = p.scores()
                return scores.count == 2 && scores.allSatisfy { $0 >= 1000 && $0 % 1000 == 0 }
            })
            #expect(p.welcomes <= 1, "no schema change, no new welcome")
        }

        // A schema field: a new welcome, then the field in a full snapshot.
        try Self.counter(step: 1000, level: 7).write(to: rules, atomically: true, encoding: .utf8)
        for p in [ann, bob] {
            #expect(try await p.read { m in
                m.entities.count == 2 && m.entities.allSatisfy { $0["level"] == .number(7) }
            })
            #expect(p.welcomes == 2, "the first welcome, then one for the new schema")
            #expect(p.mirror.schema.kinds.first?.fields.contains { $0.name == "level" } == true)
        }

        // A broken edit: refused, listed, and the match plays on by the last rules that loaded.
        try "local game = {\n  tick = function( end\nreturn game\n".write(to: rules, atomically: true, encoding: .utf8)
        #expect(try await Self.awaitListing(live, "counter", pacer: ann) { ($0?["reloadError"] as? String)?.contains("game.lua:2") == true })
        for p in [ann, bob] {
            let before = p.scores()
            #expect(try await p.read { m in
                m.entities.allSatisfy { $0["level"] == .number(7) } && p.scores() != before
                    && p.scores().allSatisfy { $0 % 1000 == 0 }
            })
        }
        // Both are still in the same match.
        let summaries = live.server.directory.summaries().filter { $0.game == "counter" }
        #expect(summaries.map(\.id) == [ann.matchID])
        #expect(summaries.first?.players == 2)
    }

    @Test func fixingAGameThatDidNotLoadBringsItIn() async throws {
        let live = try await LiveServer(extraGames: ["counter": Self.counter(step: 1), "later": "return {"]) { $0.hotReload = true }
        defer { Task { await live.stop() } }
        let pacer = try await Player(try await live.connect("/play?game=counter", name: "Pace"))
        #expect((try Self.listing(live, "later")?["error"] as? String)?.contains("later/game.lua") == true)
        try Self.counter(step: 2).write(to: live.games.appendingPathComponent("later/game.lua"), atomically: true, encoding: .utf8)
        #expect(try await Self.awaitListing(live, "later", pacer: pacer) { $0?["error"] == nil && $0?["tickRate"] as? Int == 30 })
        let joined = try await Player(try await live.connect("/play?game=later", name: "Ann"))
        #expect(try await joined.read { $0.entities.count == 1 })
    }

    @Test func aNewGameFolderIsServed() async throws {
        let live = try await LiveServer(extraGames: ["counter": Self.counter(step: 1)]) { $0.hotReload = true }
        defer { Task { await live.stop() } }
        let pacer = try await Player(try await live.connect("/play?game=counter", name: "Pace"))
        let folder = live.games.appendingPathComponent("fresh")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Self.counter(step: 3).write(to: folder.appendingPathComponent("game.lua"), atomically: true, encoding: .utf8)
        #expect(try await Self.awaitListing(live, "fresh", pacer: pacer) { $0?["tickRate"] as? Int == 30 })
    }

    @Test func withoutHotReloadAnEditChangesNothing() async throws {
        let live = try await LiveServer(extraGames: ["counter": Self.counter(step: 1)])
        defer { Task { await live.stop() } }
        let ann = try await Player(try await live.connect("/play?game=counter", name: "Ann"))
        try Self.counter(step: 1000).write(to: live.games.appendingPathComponent("counter/game.lua"), atomically: true, encoding: .utf8)
        // Two seconds of ticks: a watcher would have reloaded within them.
        #expect(try await ann.read(limit: 60) { _ in false } == false)
        #expect(ann.scores().allSatisfy { $0 < 1000 })
        #expect(ann.welcomes == 1, "only the first")
    }

    @Test func theLogSaysWhatAReloadDidAndReplayedPrintsAreNotRepeated() async throws {
        let log = MatchLogLevelsTests.CapturedLog()
        let printing = Self.counter(step: 1).replacingOccurrences(
            of: "function game.tick(match, inputs, dt)", with: "function game.tick(match, inputs, dt)\n  if match.tick == 3 then print(\"tick three\") end")
        let live = try await LiveServer(extraGames: ["counter": printing], logger: log.logger) { $0.hotReload = true }
        defer { Task { await live.stop() } }
        let ann = try await Player(try await live.connect("/play?game=counter", name: "Ann"))
        #expect(try await ann.read { _ in ann.scores().first.map { $0 > 5 } ?? false })
        let misspelled = printing.replacingOccurrences(of: "function game.leave(", with: "function game.leaves(")
        try misspelled.write(to: live.games.appendingPathComponent("counter/game.lua"), atomically: true, encoding: .utf8)
        let reloaded = { log.entries.contains { $0.message == "rules reloaded" && $0.level == .notice } }
        #expect(try await ann.read { _ in reloaded() })
        let entries = log.entries
        #expect(entries.contains { $0.level == .warning && $0.message.contains("did you mean game.leave?") })
        #expect(entries.filter { $0.message.contains("tick three") }.count == 1, "printed once, not again by the replay")
        let notice = entries.first { $0.message == "rules reloaded" }
        #expect(notice.map { "\($0.metadata["match"] ?? "")" } == ann.matchID, "the notice names the match")
    }

    @Test func gameReloadMovesTheMatchInPlaceKeepingItsState() async throws {
        let live = try await LiveServer(extraGames: ["counter": Self.counter(step: 1)]) { $0.hotReload = true }
        defer { Task { await live.stop() } }
        let ann = try await Player(try await live.connect("/play?game=counter", name: "Ann"))
        #expect(try await ann.read { _ in ann.scores().first.map { $0 > 3 } ?? false })
        let inPlace = Self.counter(step: 1000).replacingOccurrences(of: "return game", with: """
            function game.reload(match, old)
              for a in match:each("avatar") do avatars[a.owner] = a end
            end
            return game
            """)
        try inPlace.write(to: live.games.appendingPathComponent("counter/game.lua"), atomically: true, encoding: .utf8)
        // The score kept what it had (a few ticks at 1) and now grows by 1000 a tick.
        #expect(try await ann.read { _ in ann.scores().first.map { $0 > 2000 && $0 % 1000 != 0 } ?? false })
        #expect(ann.welcomes == 1, "same schema: no new welcome")
        let summaries = live.server.directory.summaries().filter { $0.game == "counter" }
        #expect(summaries.map(\.id) == [ann.matchID] && summaries.first?.players == 1)
    }
}
