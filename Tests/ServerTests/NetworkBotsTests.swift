import Bots
import Client
import Engine
import Testing

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

    @Test func refusalsAreCountedByKind() async throws {
        let live = try await LiveServer()
        defer { Task { await live.stop() } }
        let run = NetworkRun(server: try TickwireURL(live.url("")), game: "chess", mode: .randomInputs, players: 3, duration: .milliseconds(200))
        let report = try await run.run()
        #expect(report.joined == 0)
        #expect(report.errorCount == 3)
        #expect(report.errors.keys.allSatisfy { $0.hasPrefix("error: ") }, "\(report.errors)")
    }
}
