import Client
import NIOCore
import NIOPosix
import Protocol
import Synchronization
import Testing
import WebSocket
#if canImport(Glibc)
import Glibc
#endif

/// The Swift client against a live server on port 0: both faces, refusals,
/// garbage, closing.
@Suite(.timeLimit(.minutes(1))) struct ClientLiveTests {
    @Test func welcomeThenSnapshotsThroughAMirrorThenACleanClose() async throws {
        let live = try await LiveServer()
        defer { Task { await live.stop() } }
        let c = try await live.connect("/play?game=arena", name: "Ann")
        #expect(c.url.query("name") == "Ann")
        let welcome = try await c.welcome
        #expect(welcome.protocolVersion == ProtocolVersion.current)
        #expect(welcome.playerID >= 1)
        let mirror = ClientMirror(schema: welcome.schema)
        let mine = try await c.snapshots(into: mirror) { m in
            m.entities.contains { $0.kind == "ship" && $0["player"] == .number(Double(welcome.playerID)) }
        }
        #expect(mine)
        let closed = await c.close()
        #expect(closed.code == .normalClosure)
        #expect(!closed.initiatedByPeer)
    }

    @Test func twoClientsSeeEachOther() async throws {
        let live = try await LiveServer()
        defer { Task { await live.stop() } }
        let ann = try await live.connect("/play?game=echo", name: "Ann")
        let bob = try await live.connect("/play?game=echo", name: "Bob")
        let (a, b) = (try await ann.welcome, try await bob.welcome)
        #expect(a.matchID == b.matchID)
        #expect(a.playerID != b.playerID)
        for c in [ann, bob] {
            let mirror = ClientMirror(schema: a.schema)
            let both = try await c.snapshots(into: mirror) { m in
                let names = m.entities.compactMap { e -> String? in
                    if case .string(let name)? = e["name"] { return name }
                    return nil
                }
                return Set(names) == ["Ann", "Bob"]
            }
            #expect(both)
        }
    }

    @Test func inputsComeBackAsTheLastProcessedSequence() async throws {
        let live = try await LiveServer()
        defer { Task { await live.stop() } }
        let c = try await live.connect("/play?game=echo", name: "Ann")
        _ = try await c.welcome
        #expect(try await c.send(input: [4]) == 1)
        #expect(try await c.send(input: InputMessage(sequence: 0, values: [-4])) == 2)
        var confirmed: UInt64 = 0
        for _ in 0..<300 where confirmed < 2 {
            guard let (header, _) = try await c.nextSnapshot() else { break }
            confirmed = header.lastProcessedInput
        }
        #expect(confirmed == 2)
        try await c.send(ack: AckMessage(tick: 1))
    }

    @Test func aRefusedUpgradeCarriesTheStatusAndBody() async throws {
        let live = try await LiveServer()
        defer { Task { await live.stop() } }
        for (path, status, words) in [("/play", 400, "needs ?game"), ("/elsewhere", 404, "/play")] {
            do {
                _ = try await live.connect(path)
                Issue.record("\(path) was accepted")
            } catch let error as TickwireClientError {
                #expect(error.httpStatus == status, "\(path)")
                #expect(error.body?.contains(words) == true, "\(path): \(error)")
                #expect(error.isHandshakeFailure)
                #expect(error.description.contains("HTTP \(status)"))
            }
        }
    }

    @Test func aServerErrorBeforeTheWelcomeFailsTheWelcome() async throws {
        let live = try await LiveServer()
        defer { Task { await live.stop() } }
        let c = try await live.connect("/play?game=chess")
        do {
            _ = try await c.welcome
            Issue.record("welcomed into a game the server does not have")
        } catch let error as TickwireClientError {
            #expect(error.serverError != nil)
            #expect(error.serverError?.reason.contains("chess") == true)
        }
        #expect(await c.closed.initiatedByPeer)
    }

    @Test func garbageGetsTheConnectionClosedWithACode() async throws {
        let live = try await LiveServer()
        defer { Task { await live.stop() } }
        let c = try await live.connect("/play?game=echo", name: "Ann")
        _ = try await c.welcome
        // The server reads our messages once it has seated us; the first
        // snapshot comes after that.
        _ = try await c.nextSnapshot()
        try await c.send(bytes: [0x81])   // an input without its sequence
        var error: ErrorMessage?
        while let message = try await c.next() {
            if case .error(let e) = message { error = e }
        }
        #expect(error?.code == .malformed)
        let closed = await c.closed
        #expect(closed.initiatedByPeer)
        #expect(closed.code != nil)
        #expect(closed.code != .normalClosure)
    }

    @Test func noServerIsAClearConnectError() async throws {
        // A port bound but never listened on: connecting is refused, and no
        // other test or process can take the port meanwhile (a port bound
        // and closed again could be handed out to a parallel test's server).
        let (socket, port) = try #require(boundPortNotListening())
        defer { close(socket) }
        do {
            _ = try await TickwireConnection.connect("ws://127.0.0.1:\(port)/play?game=arena")
            Issue.record("connected to a closed port")
        } catch let error as TickwireClientError {
            #expect(error.isHandshakeFailure)
            #expect(error.description.contains("cannot connect to 127.0.0.1:\(port)"))
        }
    }

    @Test func theCallbackFaceReadsHeadersAndSendsPackedInputs() async throws {
        let live = try await LiveServer()
        defer { Task { await live.stop() } }
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let url = try TickwireURL(live.url("/play?game=echo&name=Lin"))
        let done = loop.makePromise(of: LinkRecorder.Summary.self)
        try await loop.submit {
            let recorder = LinkRecorder(done: done)
            TickwireLink(url: url, on: loop, delegate: recorder).connect()
        }.get()
        let summary = try await done.futureResult.get()
        #expect(summary.welcomed)
        #expect(summary.snapshots >= LinkRecorder.snapshotsWanted)
        #expect(summary.ticksIncrease)
        #expect(summary.confirmedInput >= 1)
        #expect(summary.closed?.code == .normalClosure)
        #expect(summary.failures.isEmpty)
    }
}

/// Plays a link for a few snapshots: one packed input per snapshot, then a close.
private final class LinkRecorder: TickwireLinkDelegate {
    struct Summary: Sendable {
        var welcomed = false
        var snapshots = 0
        var ticksIncrease = true
        var confirmedInput: UInt64 = 0
        var closed: WebSocketClosed?
        var failures: [String] = []
    }

    static let snapshotsWanted = 20
    let done: EventLoopPromise<Summary>
    var summary = Summary()
    var lastTick = -1
    var input: PackedInput?

    init(done: EventLoopPromise<Summary>) { self.done = done }

    func link(_ link: TickwireLink, didReceive welcome: Welcome) {
        summary.welcomed = true
        var rng = SplitMix64(seed: 1)
        input = PackedInput(values: PackedInput.randomValues(for: welcome.schema, using: &rng), schema: welcome.schema)
        #expect(link.mirror == nil)
    }

    func link(_ link: TickwireLink, didReceiveSnapshot header: SnapshotHeader, message: ByteBuffer) {
        summary.snapshots += 1
        if header.tick <= lastTick { summary.ticksIncrease = false }
        lastTick = header.tick
        summary.confirmedInput = header.lastProcessedInput
        if summary.snapshots == Self.snapshotsWanted {
            link.close()
        } else if let input {
            link.send(input)
        }
    }

    func link(_ link: TickwireLink, didFail error: TickwireClientError) { summary.failures.append("\(error)") }

    func link(_ link: TickwireLink, didClose closed: WebSocketClosed) {
        summary.closed = closed
        done.succeed(summary)
    }
}

/// A TCP socket bound to a free port on 127.0.0.1 that never listens, and
/// its port; nil if the system refused.
private func boundPortNotListening() -> (socket: Int32, port: Int)? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return nil }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
            bind(fd, address, length) == 0 && getsockname(fd, address, &length) == 0
        }
    }
    guard bound else {
        close(fd)
        return nil
    }
    return (fd, Int(UInt16(bigEndian: address.sin_port)))
}
