import Client
import Engine
import Foundation
import Logging
import Protocol
@testable import Server
import Testing
import TestSupport

/// A server match recorded with `--record` plays back to the same state
/// hash at every checkpoint and at the end, whatever reached it: joins, a
/// leave, a drop and a resume, a spectator, inputs, client events, and a
/// player closed for flooding.
@Suite(.timeLimit(.minutes(2))) struct RecordedMatchTests {
    static let game = """
        local game = { name = "recorded", tick_rate = 30, max_players = 4 }
        game.state = {
          match = { ticks = "u16" },
          seat = { player = "u8", inputs = "u16", sum = "i32", notes = "u16", said = { "string", 16 } },
        }
        game.input = { x = "i8" }
        game.client_events = { note = { v = "i16", text = { "string", 16 } } }
        local seats = {}
        function game.join(match, player)
          seats[player.id] = match:spawn("seat", { player = player.id, inputs = 0, sum = 0, notes = 0, said = "" })
          return true
        end
        function game.leave(match, player)
          match:despawn(seats[player.id]); seats[player.id] = nil
        end
        function game.event(match, player, name, data)
          local s = seats[player.id]
          s.notes = s.notes + data.v; s.said = data.text
        end
        function game.tick(match, inputs, dt)
          match.ticks = match.tick
          for id, input in pairs(inputs) do
            local s = seats[id]
            s.inputs = s.inputs + 1; s.sum = s.sum + input.x * match:random(1, 9)
          end
        end
        return game
        """

    @Test func aServerMatchReplaysToTheSameHashes() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tw-serve-rec-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let recordings = try RecordingFolder(path: folder, maxBytes: 64 << 20)
        let clock = ManualClock()
        let live = try await LiveServer(extraGames: ["recorded": Self.game]) {
            $0.clock = clock.serverClock
            $0.resumeGrace = .seconds(10)
            $0.maxMessagesPerSecond = 60
            $0.makeMatchLog = ServerRecording.makeLog(folder: recordings, logger: Logger(label: "test"))
        }
        var stopped = false
        defer { if !stopped { Task { await live.stop() } } }

        let ann = try await live.connect("/play?game=recorded", name: "Ann")
        let welcome = try await ann.welcome
        let match = welcome.matchID
        #expect(welcome.schema.clientEvents.first?.fields.map(\.name) == ["text", "v"], "fields travel in name order")
        let bob = try await live.connect("/play?game=recorded&match=\(match)", name: "Bob")
        let bobWelcome = try await bob.welcome
        let watcher = try await live.connect("/spectate?match=\(match)")
        _ = try await watcher.welcome
        let mal = try await live.connect("/play?game=recorded&match=\(match)", name: "Mal")
        _ = try await mal.welcome
        let host = try #require(live.server.directory.host(id: match))

        for x: Int64 in [3, -2, 7, 1] { _ = try await ann.send(input: [x]) }
        try await bob.send(clientEvent: ClientEventMessage(event: 0, values: [0, 5], strings: StringTable([Array("hi".utf8)])))
        for x: Int64 in [9, 9] { _ = try await bob.send(input: [x]) }
        #expect(try await eventually { host.summary.tick > 10 })

        // Mal floods and is closed as flooding; the grace then frees the seat.
        for sequence in 1...400 {
            try? await mal.send(bytes: InputMessage(sequence: UInt64(sequence), values: [1]).encode(schema: welcome.schema))
        }
        _ = await mal.closed
        // Bob drops and comes back within the grace.
        _ = await bob.close()
        #expect(try await eventually { host.summary.players == 3 && live.server.metrics.disconnectCount("flooding") == 1 })
        let back = try await live.connect("/play?resume=\(bobWelcome.resumeToken)")
        _ = try await back.welcome
        for x: Int64 in [-4, 4] { _ = try await back.send(input: [x]) }
        try await back.send(clientEvent: ClientEventMessage(event: 0, values: [0, 2], strings: StringTable([Array("back".utf8)])))
        // Cy joins and leaves for good: the grace passes on the clock.
        let cy = try await live.connect("/play?game=recorded&match=\(match)", name: "Cy")
        _ = try await cy.welcome
        _ = try await cy.send(input: [1])
        let tick = host.summary.tick
        #expect(try await eventually { host.summary.tick > tick + 5 })
        _ = await cy.close()
        #expect(try await eventually { host.links.withLockedValue { $0.count } == 3 }, "Ann, Bob and the spectator")
        clock.advance(by: .seconds(11))
        #expect(try await eventually { host.summary.players == 2 }, "Mal's and Cy's seats are freed")
        let later = host.summary.tick
        #expect(try await eventually { host.summary.tick > later + 40 })

        await live.stop()
        stopped = true
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".twreplay") }
        #expect(files.count == 1, "\(files)")
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: folder + "/" + files[0])))
        let recording = try Recording(bytes: bytes)
        #expect(recording.header.matchID == match)
        #expect(recording.header.origin == "serve")

        var kinds: [String: Int] = [:]
        var decoder = try ReplayDecoder(bytes: bytes)
        while let records = try decoder.nextRecords() {
            for case .command(let command, _) in records {
                let kind = switch command {
                case .join: "join"
                case .leave: "leave"
                case .resume: "resume"
                case .input: "input"
                case .clientEvent: "event"
                case .stop: "stop"
                }
                kinds[kind, default: 0] += 1
            }
        }
        #expect(kinds["join"] == 4 && kinds["leave"] == 2 && kinds["resume"] == 1 && kinds["stop"] == 1, "\(kinds)")
        #expect((kinds["input"] ?? 0) >= 8 && kinds["event"] == 2, "\(kinds)")

        let fixture = try GameFixture(game: Self.game)
        let game = try fixture.load()
        let replay = try MatchReplay(recording: recording, game: game)
        #expect(replay.fileDifferences.isEmpty)
        try replay.run()
        #expect(replay.divergence == nil, "\(String(describing: replay.divergence))")
        #expect(replay.checkpointsChecked >= 2)
        let end = try #require(replay.recordedEnd)
        #expect(end.hash == replay.session.match.stateHash.value)
        #expect(end.outcome.hasPrefix("stopped"), "\(end.outcome)")
        #expect(replay.session.match.players.map(\.name) == ["Ann", "Bob"])
    }
}
