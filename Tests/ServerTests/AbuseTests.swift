import Client
import Engine
import Foundation
import NIOConcurrencyHelpers
import NIOCore
@testable import Server
import Testing
import WebSocket

/// Clients that misbehave are closed with the right code, and the match and
/// its other players go on as if nothing happened.
@Suite(.timeLimit(.minutes(1))) struct AbuseTests {
    /// Joins `bystander` and `culprit` to one echo match.
    private func pair(_ live: LiveServer) async throws -> (TickwireConnection, TickwireConnection, Welcome) {
        let bystander = try await live.connect("/play?game=echo", name: "Ann")
        let welcome = try await bystander.welcome
        let culprit = try await live.connect("/play?game=echo&match=\(welcome.matchID)", name: "Mal")
        _ = try await culprit.welcome
        return (bystander, culprit, welcome)
    }

    /// The bystander still gets consecutive snapshots after the culprit left.
    private func stillPlaying(_ c: TickwireConnection) async throws {
        var last: Int?
        for _ in 0..<10 {
            let (header, _) = try #require(try await c.nextSnapshot())
            if let last { #expect(header.tick == last + 1) }
            last = header.tick
        }
    }

    private func errorAndClose(_ c: TickwireConnection) async throws -> (ErrorMessage?, WebSocketClosed) {
        var error: ErrorMessage?
        while let message = try? await c.next() { if case .error(let e) = message { error = e } }
        return (error, await c.closed)
    }

    @Test func aMalformedMessageClosesWith4002() async throws {
        let live = try await LiveServer()
        defer { Task { await live.stop() } }
        let (ann, mal, _) = try await pair(live)
        try await mal.send(bytes: [0x81, 0xff, 0xff, 0xff])
        let (error, closed) = try await errorAndClose(mal)
        #expect(error?.code == .malformed)
        #expect(closed.code?.rawValue == 4002)
        try await stillPlaying(ann)
    }

    @Test func aMessageOfAnUnknownTypeOrAServerTypeClosesWith4002() async throws {
        let live = try await LiveServer()
        defer { Task { await live.stop() } }
        let (ann, mal, _) = try await pair(live)
        try await mal.send(bytes: [0x02, 0x01, 0x00, 0x00])
        #expect(try await errorAndClose(mal).1.code?.rawValue == 4002)
        try await stillPlaying(ann)
    }

    @Test func aClientOfA120HzGameSendingAnInputAndAnAckEveryTickIsNotFlooding() async throws {
        let live = try await LiveServer()   // 120 messages per second by default
        defer { Task { await live.stop() } }
        let c = try await live.connect("/play?game=fast")
        let welcome = try await c.welcome
        var sequence: UInt64 = 0
        for _ in 0..<360 {   // three seconds: 240 messages a second, past the burst
            let (header, _) = try #require(try await c.nextSnapshot(), "the server closed the connection")
            sequence += 1
            try await c.send(bytes: InputMessage(sequence: sequence, values: [1]).encode(schema: welcome.schema))
            try await c.send(ack: AckMessage(tick: header.tick))
        }
        #expect(live.server.metrics.disconnectCount("flooding") == 0)
    }

    @Test func inputSequencesThatDoNotIncreaseCloseWith4002() async throws {
        let live = try await LiveServer()
        defer { Task { await live.stop() } }
        let (ann, mal, welcome) = try await pair(live)
        for sequence: UInt64 in [1, 2, 2] {
            try await mal.send(bytes: InputMessage(sequence: sequence, values: [1]).encode(schema: welcome.schema))
        }
        let (error, closed) = try await errorAndClose(mal)
        #expect(error?.reason.contains("sequence 2 after 2") == true)
        #expect(closed.code?.rawValue == 4002)
        try await stillPlaying(ann)
    }

    @Test func aTextMessageClosesWith1003() async throws {
        let live = try await LiveServer()
        defer { Task { await live.stop() } }
        let (ann, mal, _) = try await pair(live)
        try await mal.send(text: "{\"turn\": 1}")
        #expect(try await errorAndClose(mal).1.code == .unsupportedData)
        try await stillPlaying(ann)
    }

    @Test func anOversizedMessageClosesWith1009() async throws {
        let live = try await LiveServer { $0.maxMessageBytes = 1024 }
        defer { Task { await live.stop() } }
        let (ann, mal, _) = try await pair(live)
        try await mal.send(bytes: [0x81] + Array(repeating: 0, count: 4096))
        #expect(try await errorAndClose(mal).1.code == .messageTooBig)
        try await stillPlaying(ann)
    }

    @Test func aFloodingClientIsClosedWith4008AndTheMatchGoesOn() async throws {
        let live = try await LiveServer { $0.maxMessagesPerSecond = 60 }
        defer { Task { await live.stop() } }
        let (ann, mal, welcome) = try await pair(live)
        for sequence in 1...500 {
            try? await mal.send(bytes: InputMessage(sequence: UInt64(sequence), values: [1]).encode(schema: welcome.schema))
        }
        let (error, closed) = try await errorAndClose(mal)
        #expect(error?.code == .flooding)
        #expect(closed.code?.rawValue == 4008)
        try await stillPlaying(ann)
    }

    @Test func aClientThatStopsReadingIsSkippedThenClosedAsTooSlow() async throws {
        // Big snapshots (churn) fill a stalled socket fast; a short history
        // makes "behind for too long" come quickly. The grace runs on a clock
        // that never moves, so the slow player's seat surely waits.
        let clock = ManualClock()
        let live = try await LiveServer {
            $0.match.snapshotHistory = 16
            $0.clock = clock.serverClock
        }
        defer { Task { await live.stop() } }
        let ann = try await live.connect("/play?game=churn", name: "Ann")
        let welcome = try await ann.welcome
        // `slow` reads nothing after its upgrade, through a small receive
        // buffer: the kernel's buffers fill (a few MB: how many frames that
        // takes depends on the machine, so the wait below is bounded by time,
        // not by a count of frames), then its socket at the server.
        let slow = try await RawWebSocket(port: live.port, path: "/play?game=churn&match=\(welcome.matchID)&name=Slow",
                                          receiveBuffer: 4096)
        // Ann keeps reading and gets every tick, in order, meanwhile. (About
        // 3 s here; the rest is slack for a busy machine.)
        let deadline = ContinuousClock.now + .seconds(30)
        var last: Int?
        while live.server.metrics.disconnectCount("too-slow") == 0, ContinuousClock.now < deadline {
            let (header, _) = try #require(try await ann.nextSnapshot(), "Ann's connection ended")
            if let last { #expect(header.tick == last + 1) }
            last = header.tick
        }
        #expect(live.server.metrics.disconnectCount("too-slow") == 1)
        let summary = try #require(live.server.directory.summaries().first)
        #expect(summary.players == 2)   // the slow player's seat waits for a resume
        try await stillPlaying(ann)
        _ = try? await slow.channel.close()
    }

    // MARK: Frames that are not messages

    /// Reads `c`'s snapshots until `stop` is set (not by cancelling, which
    /// would end the connection's stream): how many, and how many times a
    /// tick was skipped.
    private func watchTicks(_ c: TickwireConnection, until stop: NIOLockedValueBox<Bool>)
        -> Task<(snapshots: Int, skipped: Int), Never> {
        Task {
            var last: Int?
            var snapshots = 0
            var skipped = 0
            while !stop.withLockedValue({ $0 }), let (header, _) = try? await c.nextSnapshot() {
                if let last, header.tick != last + 1 { skipped += 1 }
                last = header.tick
                snapshots += 1
            }
            return (snapshots, skipped)
        }
    }

    /// Sends `first` then `batch` over and over until the server closes
    /// `culprit` as flooding or `timeout` passes; returns how long it took.
    private func flood(_ culprit: RawWebSocket, first: [UInt8] = [], batch: [UInt8], live: LiveServer,
                       timeout: Duration = .seconds(20)) async -> Duration? {
        let start = ContinuousClock.now
        var open = await culprit.send(first)
        while open, live.server.metrics.disconnectCount("flooding") == 0, ContinuousClock.now - start < timeout {
            open = await culprit.send(batch)
        }
        return live.server.metrics.disconnectCount("flooding") > 0 ? ContinuousClock.now - start : nil
    }

    /// The culprit got `error` 8 then close 4008, and the server closed TCP
    /// (after the close timeout, since the culprit never answers the close).
    private func expectClosedAsFlooding(_ culprit: RawWebSocket) async throws {
        let (frames, closedByServer) = try await culprit.readUntilClosed(timeout: .seconds(20))
        #expect(closedByServer)
        let errors = frames.filter { $0.opcode == 0x2 && $0.payload.first == MessageType.error.rawValue }
        #expect(errors.compactMap { try? ErrorMessage.decode($0.payload).code } == [.flooding])
        let closes = frames.filter { $0.opcode == 0x8 }
        #expect(closes.map { $0.payload.prefix(2).reduce(0) { $0 << 8 | Int($1) } } == [4008])
    }

    /// Ann plays echo while Mal, in an arena match, sends `batch` over and
    /// over (after `first`) without reading: Mal is closed as flooding
    /// within 20 s, the server's memory stays flat, and Ann misses no tick.
    private func floodBesideAPlayer(first: [UInt8] = [], batch: [UInt8]) async throws {
        let live = try await LiveServer()
        defer { Task { await live.stop() } }
        let ann = try await live.connect("/play?game=echo", name: "Ann")
        _ = try await ann.welcome
        let stop = NIOLockedValueBox(false)
        let ticks = watchTicks(ann, until: stop)
        let before = try #require(residentBytes())

        let mal = try await RawWebSocket(port: live.port, path: "/play?game=arena&name=Mal")
        let took = await flood(mal, first: first, batch: batch, live: live)
        #expect(took != nil, "the flood was not closed within 20 s")
        let grown = try #require(residentBytes()) - before
        #expect(grown < 64 << 20, "the server grew by \(grown >> 20) MiB")
        try await expectClosedAsFlooding(mal)

        stop.withLockedValue { $0 = true }
        let watched = await ticks.value
        #expect(watched.snapshots > 0 && watched.skipped == 0)
        try await stillPlaying(ann)
    }

    /// A client that starts a message and then sends empty continuation
    /// frames for ever delivers no message, yet each frame costs a token: it
    /// is closed as flooding within the burst, while another match's player
    /// gets every tick and the server's memory stays flat.
    @Test func aFloodOfEmptyContinuationFramesIsClosedWith4008AndOtherMatchesKeepTicking() async throws {
        let empty = RawWebSocket.frame(opcode: 0x0, fin: false)
        try await floodBesideAPlayer(first: RawWebSocket.frame(opcode: 0x2, fin: false),
                                     batch: Array(repeatElement(empty, count: 1000).joined()))
    }

    /// A client that pings as fast as it can and never reads: its pings cost
    /// tokens like messages (closed as flooding), and at most one pong waits
    /// for it meanwhile, so the server does not queue pongs without bound.
    @Test func aPingFloodFromAClientThatNeverReadsIsClosedWith4008() async throws {
        let ping = RawWebSocket.frame(opcode: 0x9, payload: Array(repeating: 0x70, count: 125))
        try await floodBesideAPlayer(batch: Array(repeatElement(ping, count: 200).joined()))
    }

    /// A client that never reads, with a bound below the 128 KiB write
    /// buffer (past which the match stops sending it snapshots): its
    /// outbound bytes pass the bound and it is closed as too slow, 7 / 4007,
    /// its error getting through.
    @Test func aClientThatNeverReadsIsClosedWith4007OnceItsOutboundBytesPassTheBound() async throws {
        let live = try await LiveServer { $0.maxOutboundBytes = 64 << 10 }
        defer { Task { await live.stop() } }
        let slow = try await RawWebSocket(port: live.port, path: "/play?game=churn&name=Slow", receiveBuffer: 4096)
        // Not reading: the kernel's buffers fill (a few MB), then the server's.
        // (About 3 s here; the rest of the minute is slack for a busy machine.)
        let deadline = ContinuousClock.now + .seconds(20)
        while live.server.metrics.disconnectCount("too-slow") == 0, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        // What it held, then the error, the close, and TCP closed by the
        // server after the close timeout (5 s), since it gets no reply.
        let (frames, closedByServer) = try await slow.readUntilClosed(timeout: .seconds(30))
        #expect(closedByServer)
        let errors = frames.filter { $0.opcode == 0x2 && $0.payload.first == MessageType.error.rawValue }
        let error = try #require(errors.count == 1 ? try? ErrorMessage.decode(errors[0].payload) : nil)
        #expect(error.code == .tooSlow)
        #expect(error.reason.contains("65536 bytes waiting"), "closed by the match's history check instead: \(error.reason)")
        let closes = frames.filter { $0.opcode == 0x8 }
        #expect(closes.map { $0.payload.prefix(2).reduce(0) { $0 << 8 | Int($1) } } == [4007])
        #expect(live.server.metrics.disconnectCount("too-slow") == 1)
    }
}
