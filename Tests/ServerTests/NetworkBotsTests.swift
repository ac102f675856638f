import Bots
import Client
import Engine
@testable import Server
import Foundation
import Testing
import TestSupport

/// Network bots against a live server: bot.lua over real sockets, and the
/// light random-input load.
@Suite(.timeLimit(.minutes(1))) struct NetworkBotsTests {
    @Test func eightBotsPlayArenaWithoutErrors() async throws {
        let live = try await LiveServer()
        defer { Task { await live.stop() } }
        let arena = try GameDefinition.load(folder: live.games.appendingPathComponent("arena").path)
        var run = NetworkRun(server: try TickwireURL(live.url("")), game: "arena", mode: .bots(arena), players: 8, duration: .seconds(2))
        run.threads = 1
        let report = try await run.run()
        #expect(report.errors.isEmpty, "\(report.errors)")
        #expect(report.joined == 8)
        #expect(report.matches == 1)   // seated together: the first joins, the rest join its match by id
        #expect(report.botErrors == 0, "\(report.firstBotError ?? "")")
        #expect(report.snapshots > 0)
        #expect(report.inputsSent > 0)
        #expect(report.latency.totalCount > 0)
        #expect(report.bytesPerPlayerSecond > 0)
    }

    @Test func randomInputsSpreadOverMatchesAndLoops() async throws {
        let live = try await LiveServer()
        defer { Task { await live.stop() } }
        var run = NetworkRun(server: try TickwireURL(live.url("")), game: "arena", mode: .randomInputs, players: 20, duration: .seconds(1))
        run.threads = 2
        run.rampPerSecond = 1000
        let report = try await run.run()
        #expect(report.errors.isEmpty, "\(report.errors)")
        #expect(report.joined == 20)
        #expect(report.matches == 2)   // arena seats 16: one full match and one of 4
        #expect(report.latency.totalCount > 0)
    }

    @Test func aMatchThatEndsClosesItsPlayersWithoutAnError() async throws {
        let rules = """
            local game = { name = "short", tick_rate = 30, max_players = 4 }
            game.state = { match = { n = "u8" } }
            game.input = { x = "i8" }
            function game.tick(match, inputs, dt) end
            -- Ends 6 ticks after both bots are in, however long the second
            -- takes to connect on a busy machine.
            local seated, since = 0, nil
            function game.join(match, player)
              seated = seated + 1
              if seated == 2 then since = match.tick end
            end
            function game.result(match) if since and match.tick >= since + 6 then return { done = true } end end
            return game
            """
        let live = try await LiveServer(extraGames: ["short": rules])
        defer { Task { await live.stop() } }
        let run = NetworkRun(server: try TickwireURL(live.url("")), game: "short", mode: .randomInputs, players: 2,
                             duration: .seconds(2))
        let report = try await run.run()
        #expect(report.joined == 2)
        #expect(report.errors.isEmpty, "\(report.errors)")
        #expect(report.matchesEnded == 2, "\(report.joined) joined, \(report.snapshots) snapshots, \(report.matches) matches, \(report.elapsed)")
    }

    @Test func refusalsAreCountedByKind() async throws {
        let live = try await LiveServer()
        defer { Task { await live.stop() } }
        let run = NetworkRun(server: try TickwireURL(live.url("")), game: "chess", mode: .randomInputs, players: 3, duration: .milliseconds(200))
        let report = try await run.run()
        #expect(report.joined == 0)
        #expect(report.errorCount == 3)
        #expect(report.errors.keys.allSatisfy { $0.hasPrefix("error: ") }, "\(report.errors)")
    }

    @Test func networkBotsSendTheirClientEventsToTheServer() async throws {
        let rules = """
            local game = { name = "talk", tick_rate = 30, max_players = 4 }
            game.state = { match = { heard = "u16" } }
            game.input = { x = "i8" }
            game.client_events = { say = { n = "u8" } }
            function game.init(match) match.heard = 0 end
            function game.join(match, player) return true end
            function game.tick(match, inputs, dt) end
            function game.event(match, player, name, data)
              if name == "say" and data.n == 7 then match.heard = match.heard + 1 end
            end
            return game
            """
        let bot = "return { think = function(view, me) return { x = 1 }, { { name = \"say\", data = { n = 7 } } } end }"
        let live = try await LiveServer(extraGames: ["talk": rules], files: ["talk/bot.lua": bot]) { $0.stateAccess = .open }
        defer { Task { await live.stop() } }
        let talk = try GameDefinition.load(folder: live.games.appendingPathComponent("talk").path)
        var run = NetworkRun(server: try TickwireURL(live.url("")), game: "talk", mode: .bots(talk), players: 2, duration: .seconds(1))
        run.threads = 1
        let report = try await run.run()
        #expect(report.errors.isEmpty && report.botErrors == 0, "\(report.errors) \(report.firstBotError ?? "")")
        let id = try #require(live.server.directory.summaries().first { $0.game == "talk" }?.id)
        let answer = try RawHTTP(port: live.port).exchange("GET /matches/\(id)/state HTTP/1.1\r\nHost: x\r\n\r\n")
        let state = try #require(try JSONSerialization.jsonObject(with: Data(answer.body)) as? [String: Any])
        let heard = (state["match"] as? [String: Any])?["heard"] as? Int ?? 0
        #expect(heard > 10, "the bots' say events reached game.event: \(String(decoding: answer.body, as: UTF8.self))")
    }

    /// In a game that hides things each network bot thinks on its own
    /// connection's view: here a bot sees only its own dot, and moves only
    /// when it finds it.
    @Test func networkBotsOfAGameThatHidesThingsEachSeeTheirOwnView() async throws {
        let rules = """
            local game = { name = "mine", tick_rate = 30, max_players = 4 }
            game.state = { match = { moved = "u8" }, dot = { owner = "u8", x = "i32" } }
            game.visible = { dot = "owner" }
            game.input = { dx = "i8" }
            local dots = {}
            function game.init(match) match.moved = 0 end
            function game.join(match, player)
              dots[player.id] = match:spawn("dot", { owner = player.id, x = 0 })
              return true
            end
            function game.tick(match, inputs, dt)
              for id, input in pairs(inputs) do dots[id].x = dots[id].x + input.dx end
              local moved = 0
              for d in match:each("dot") do if d.x > 0 then moved = moved + 1 end end
              match.moved = moved
            end
            return game
            """
        let bot = """
            return { think = function(view, me)
              for _, d in ipairs(view.dot) do if d.owner == me.id then return { dx = 1 } end end
              return nil
            end }
            """
        let live = try await LiveServer(extraGames: ["mine": rules], files: ["mine/bot.lua": bot]) { $0.stateAccess = .open }
        defer { Task { await live.stop() } }
        let mine = try GameDefinition.load(folder: live.games.appendingPathComponent("mine").path)
        var run = NetworkRun(server: try TickwireURL(live.url("")), game: "mine", mode: .bots(mine), players: 4, duration: .seconds(1))
        run.threads = 1
        let report = try await run.run()
        #expect(report.errors.isEmpty && report.botErrors == 0, "\(report.errors) \(report.firstBotError ?? "")")
        let id = try #require(live.server.directory.summaries().first { $0.game == "mine" }?.id)
        let answer = try RawHTTP(port: live.port).exchange("GET /matches/\(id)/state HTTP/1.1\r\nHost: x\r\n\r\n")
        let state = try #require(try JSONSerialization.jsonObject(with: Data(answer.body)) as? [String: Any])
        let moved = (state["match"] as? [String: Any])?["moved"] as? Int ?? 0
        #expect(moved == 4, "every bot found its own dot: \(String(decoding: answer.body, as: UTF8.self))")
    }
}
