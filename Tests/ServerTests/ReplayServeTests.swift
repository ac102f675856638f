import Bots
import Client
import Engine
import Foundation
import Logging
import Protocol
@testable import Server
import Testing
import TestSupport

/// A recording served as a match (`tickwire replay FILE --serve`): clients
/// spectate it through the normal protocol, nobody can take a seat, and
/// `/replay` pauses it and changes its speed.
@Suite(.timeLimit(.minutes(2))) struct ReplayServeTests {
    /// An arena match of 4 bots, 240 ticks, recorded into memory.
    static func recording() throws -> (Recording, GameDefinition, HeadlessMatchReport) {
        let game = try GameDefinition.load(folder: gamesFolder + "/arena")
        let options = MatchOptions(seed: 9, params: ["time_limit": .number(1000)])
        let sink = MemoryReplaySink()
        let recorder = MatchRecorder(game: game, options: options,
                                     settings: .init(matchID: "m", origin: "test", flushEveryTicks: nil), sink: sink)
        var clock = VirtualClock()
        let report = HeadlessMatch(game: game, options: options, players: 4, maxTicks: 240).play(index: 0, clock: &clock, log: recorder)
        return (try Recording(bytes: sink.bytes), game, report)
    }

    @Test func spectatorsWatchAReplayThatPausesAndChangesSpeed() async throws {
        let (recording, game, report) = try Self.recording()
        var config = ServerConfiguration()
        config.host = "127.0.0.1"
        config.port = 0
        config.games = ["arena": game]
        config.webFolder = nil
        config.maxMatches = 1
        config.threads = 2
        var logger = Logger(label: "tickwire-test")
        logger.logLevel = .warning
        let server = try await TickwireServer(configuration: config, logger: logger)
        let port = try await server.start()
        defer { Task { await server.shutdown() } }
        let id = try await server.startReplay(recording, game: game, file: "test.twreplay", speed: 1)

        func status() throws -> ReplayPlayback.Status {
            var http = try RawHTTP(port: port)
            let answer = try http.exchange("GET /replay HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(answer.status == 200, "\(answer.text)")
            return try JSONDecoder().decode(ReplayPlayback.Status.self, from: Data(answer.body))
        }
        func control(_ body: String) throws -> RawHTTPAnswer {
            var http = try RawHTTP(port: port)
            return try http.exchange("POST /replay HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        }

        let watcher = try await TickwireConnection.connect("ws://127.0.0.1:\(port)/spectate?match=\(id)")
        let welcome = try await watcher.welcome
        let mirror = ClientMirror(schema: welcome.schema)
        var ticks: [Int] = []
        for _ in 0..<5 {
            let (header, bytes) = try #require(try await watcher.nextSnapshot())
            _ = try mirror.apply(bytes)
            ticks.append(header.tick)
        }
        #expect(ticks == ticks.sorted() && Set(ticks).count == ticks.count, "\(ticks)")
        #expect(mirror.entities.filter { $0.kind == "ship" }.count == 4)

        // Nobody takes a seat in a replay.
        let player = try await TickwireConnection.connect("ws://127.0.0.1:\(port)/play?game=arena&match=\(id)", name: "Eve")
        var refusal: ErrorMessage?
        while let message = try? await player.next() { if case .error(let e) = message { refusal = e } }
        #expect(refusal?.reason.contains("this match is a replay") == true, "\(String(describing: refusal))")

        let paused = try control(#"{"paused": true}"#)
        #expect(paused.status == 200 && paused.text.contains(#""paused":true"#), "\(paused.text)")
        #expect(try control(#"{"speed": 1000}"#).status == 400)
        #expect(try control(#"{"paws": true}"#).text.contains("unknown field \"paws\""))
        #expect(try control("not json").status == 400)
        let held = try status().tick
        #expect(try control(#"{"paused": false, "speed": 64}"#).status == 200)
        #expect(try await eventually(within: .seconds(30)) { (try? status().finished) == true })
        let done = try status()
        #expect(done.tick == report.ticks && done.lastTick == report.ticks && done.tick >= held, "\(done)")
        #expect(done.divergence == nil)
        // The spectator sees the last tick, and the match stays up with it.
        var last = 0
        while last < report.ticks, let (header, _) = try await watcher.nextSnapshot() { last = header.tick }
        #expect(last == report.ticks)
        #expect(server.directory.summaries().map(\.id) == [id])
    }

    /// A seek, forwards or backwards, answers once the replay is at the
    /// tick, and the spectator's next frame is the full state of that tick:
    /// byte for byte what a fresh replay of the recording holds there.
    @Test func seekingForwardAndBackSendsTheFullStateOfTheTick() async throws {
        let (recording, game, report) = try Self.recording()
        var config = ServerConfiguration()
        config.host = "127.0.0.1"
        config.port = 0
        config.games = ["arena": game]
        config.webFolder = nil
        config.maxMatches = 1
        config.threads = 2
        var logger = Logger(label: "tickwire-test")
        logger.logLevel = .warning
        let server = try await TickwireServer(configuration: config, logger: logger)
        let port = try await server.start()
        defer { Task { await server.shutdown() } }
        let id = try await server.startReplay(recording, game: game, file: "test.twreplay", speed: 1)

        func control(_ body: String) throws -> RawHTTPAnswer {
            var http = try RawHTTP(port: port)
            return try http.exchange("POST /replay HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        }
        func seek(_ tick: Int) throws -> ReplayPlayback.Status {
            let answer = try control(#"{"seek": \#(tick)}"#)
            #expect(answer.status == 200, "\(answer.text)")
            return try JSONDecoder().decode(ReplayPlayback.Status.self, from: Data(answer.body))
        }
        /// The full frame of `tick` in a replay of its own.
        func expectedFrame(at tick: Int) throws -> [UInt8] {
            let replay = try MatchReplay(recording: recording, game: game)
            try replay.run(until: tick)
            return replay.session.match.frame(baseline: nil, audience: .spectator)
        }
        let watcher = try await TickwireConnection.connect("ws://127.0.0.1:\(port)/spectate?match=\(id)")
        _ = try await watcher.welcome
        /// The next snapshot of `tick`, skipping frames sent before the seek.
        func frame(at tick: Int) async throws -> (SnapshotHeader, [UInt8])? {
            while let (header, bytes) = try await watcher.nextSnapshot() {
                if header.tick == tick { return (header, bytes) }
            }
            return nil
        }

        #expect(try control(#"{"paused": true}"#).status == 200)
        #expect(try control(#"{"seek": -1}"#).status == 400)
        #expect(try control(#"{"seek": 1.5}"#).text.contains("\"seek\" must be a whole tick"))

        let forward = try seek(200)
        #expect(forward.tick == 200 && forward.paused && !forward.finished && forward.lastTick == report.ticks, "\(forward)")
        let (atForward, bytesForward) = try #require(try await frame(at: 200))
        #expect(atForward.baselineTick == nil)
        #expect(bytesForward == (try expectedFrame(at: 200)))

        let back = try seek(50)
        #expect(back.tick == 50 && back.divergence == nil, "\(back)")
        let (atBack, bytesBack) = try #require(try await frame(at: 50))
        #expect(atBack.baselineTick == nil)
        #expect(bytesBack == (try expectedFrame(at: 50)))

        // Past the end: the replay stops at its last tick, and plays on from a seek back.
        let end = try seek(report.ticks + 1000)
        #expect(end.tick == report.ticks && end.finished, "\(end)")
        let again = try seek(10)
        #expect(again.tick == 10 && !again.finished, "\(again)")
        #expect(try control(#"{"paused": false, "speed": 64}"#).status == 200)
        #expect(try await frame(at: 40) != nil)
    }
}

