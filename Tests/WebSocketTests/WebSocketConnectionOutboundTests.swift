import NIOCore
import NIOWebSocket
import Testing

@testable import WebSocket

/// The limits of `WebSocketConnection+Outbound.swift` and the frame rate, on
/// the state machine alone, with the clock passed in.
@Suite struct WebSocketConnectionOutboundTests {
    let peer = Peer.client

    private func limited(framesPerSecond: Int? = nil, outboundBytes: Int = 4 << 20) -> WebSocketConnection {
        let configuration = WebSocketConfiguration(
            role: .server, acceptsText: true, pingInterval: nil,
            maxFramesPerSecond: framesPerSecond, maxOutboundBytes: outboundBytes
        )
        return WebSocketConnection(configuration: configuration, now: t0)
    }

    // MARK: Frame rate

    @Test func everyFrameCostsOneWhateverItsOpcode() {
        // 2 per second: a burst of 4, then one each half second.
        var ws = limited(framesPerSecond: 2)
        #expect(ws.receive(peer.frame(.binary, [1], fin: false), now: t0) == .none)
        #expect(ws.receive(peer.frame(.continuation, [], fin: false), now: t0) == .none)
        #expect(ws.receive(peer.frame(.pong), now: t0) == .none)
        #expect(ws.receive(peer.frame(.continuation, [2]), now: t0) == .deliver(.binary(ByteBuffer(bytes: [1, 2]))))
        // The fifth frame at once is over, and reported once.
        #expect(ws.receive(peer.frame(.continuation, []), now: t0) == .reportLimit(.frameRate(perSecond: 2)))
        #expect(ws.receive(peer.frame(.ping), now: t0) == .none)
        // Not closed by itself: the next handler may close its own way.
        #expect(ws.state == .open)
        let failed = ws.limitReported(.frameRate(perSecond: 2))
        #expect(failed.sentCloseCode == 1008)
        #expect(ws.state == .closed)
    }

    @Test func aMessageOfKFramesCostsK() {
        var ws = limited(framesPerSecond: 5)  // a burst of 10
        _ = ws.receive(peer.frame(.binary, [], fin: false), now: t0)
        for _ in 0..<8 { #expect(ws.receive(peer.frame(.continuation, [], fin: false), now: t0) == .none) }
        #expect(ws.receive(peer.frame(.continuation, []), now: t0) == .deliver(.binary(ByteBuffer())))
        #expect(ws.receive(peer.frame(.binary, [1]), now: t0) == .reportLimit(.frameRate(perSecond: 5)))
    }

    @Test func pingsAndClosesCountToo() {
        var ws = limited(framesPerSecond: 1)  // a burst of 2
        #expect(ws.receive(peer.frame(.ping), now: t0) == .sendPong(ws.makeFrame(.pong, data: ByteBuffer())))
        _ = ws.pongWritten()
        #expect(ws.receive(peer.frame(.ping), now: t0) != .reportLimit(.frameRate(perSecond: 1)))
        _ = ws.pongWritten()
        #expect(ws.receive(peer.close(code: 1000), now: t0) == .reportLimit(.frameRate(perSecond: 1)))
    }

    @Test func theBucketRefillsWithTime() {
        var ws = limited(framesPerSecond: 10)  // a burst of 20
        var now = t0
        for _ in 0..<20 { #expect(ws.receive(peer.frame(.binary, [1]), now: now).deliveredMessage != nil) }
        // 10 per second sustained: one every 100 ms goes on for ever.
        for _ in 0..<100 {
            now = now + .milliseconds(100)
            #expect(ws.receive(peer.frame(.binary, [1]), now: now).deliveredMessage != nil)
        }
        #expect(ws.receive(peer.frame(.binary, [1]), now: now) == .reportLimit(.frameRate(perSecond: 10)))
    }

    @Test func theRateCanChangeOnALiveConnectionAndNilMeansNoLimit() {
        var unlimited = limited()
        for _ in 0..<10_000 { #expect(unlimited.receive(peer.frame(.binary, [1]), now: t0).deliveredMessage != nil) }

        var ws = limited(framesPerSecond: 1)
        ws.setMaxFramesPerSecond(100, now: t0)
        for _ in 0..<200 { #expect(ws.receive(peer.frame(.binary, [1]), now: t0).deliveredMessage != nil) }
        ws.setMaxFramesPerSecond(100, now: t0)  // the same rate: no new burst
        #expect(ws.receive(peer.frame(.binary, [1]), now: t0) == .reportLimit(.frameRate(perSecond: 100)))
    }

    @Test func framesAfterClosingBeganCostNothingAndTheCloseReplyIsAccepted() {
        var ws = limited(framesPerSecond: 1)
        _ = ws.close(code: .normalClosure, reason: "bye")
        for _ in 0..<10 { #expect(ws.receive(peer.frame(.continuation, []), now: t0) == .none) }
        guard case .close(nil, _) = ws.receive(peer.close(code: 1000), now: t0) else {
            Issue.record("the peer's close reply was not accepted")
            return
        }
    }

    // MARK: Pongs

    @Test func onlyTheLatestPingIsAnsweredWhileAPongIsBeingWritten() {
        var ws = limited()
        guard case .sendPong(let first) = ws.receive(peer.frame(.ping, [1]), now: t0) else {
            Issue.record("no pong")
            return
        }
        #expect(first.data == ByteBuffer(bytes: [1]))
        for payload: UInt8 in 2...50 {
            #expect(ws.receive(peer.frame(.ping, [payload]), now: t0) == .none)
        }
        guard case .sendPong(let latest) = ws.pongWritten() else {
            Issue.record("the latest ping was not answered")
            return
        }
        #expect(latest.data == ByteBuffer(bytes: [50]))
        #expect(ws.pongWritten() == .none)
        // Nothing pending: the next ping is answered at once.
        #expect(ws.receive(peer.frame(.ping, [51]), now: t0) == .sendPong(ws.makeFrame(.pong, data: ByteBuffer(bytes: [51]))))
    }

    @Test func aPendingPongIsDroppedOnceClosing() {
        var ws = limited()
        _ = ws.receive(peer.frame(.ping, [1]), now: t0)
        _ = ws.receive(peer.frame(.ping, [2]), now: t0)
        _ = ws.close(code: .normalClosure, reason: "")
        #expect(ws.pongWritten() == .none)
        #expect(ws.pong == .none)
    }

    // MARK: Outbound bytes

    @Test func wireSizeCountsHeaderExtendedLengthMaskAndPayload() {
        func size(_ length: Int, masked: Bool) -> Int {
            let frame = WebSocketFrame(fin: true, opcode: .binary, maskKey: masked ? .random() : nil,
                                       data: ByteBuffer(repeating: 0, count: length))
            return WebSocketConnection.wireSize(of: frame)
        }
        #expect(size(0, masked: false) == 2)
        #expect(size(125, masked: false) == 127)
        #expect(size(126, masked: false) == 130)
        #expect(size(65535, masked: false) == 65539)
        #expect(size(65536, masked: false) == 65546)
        #expect(size(10, masked: true) == 16)
    }

    @Test func aMessageThatWouldPassTheBoundIsRefusedAndReportedOnce() throws {
        var ws = limited(outboundBytes: 1000)
        let message = WebSocketMessage.binary(ByteBuffer(repeating: 1, count: 396))  // 400 on the wire
        #expect(try ws.send(message, buffered: 0).get().length == 396)
        #expect(try ws.send(message, buffered: 400).get().length == 396)
        // A small message still fits beside two.
        #expect(try ws.send(.binary(ByteBuffer(repeating: 1, count: 100)), buffered: 800).get().length == 100)
        #expect(ws.send(message, buffered: 902) == .refuse(.peerTooSlow, then: .reportLimit(.outboundBytes(1000))))
        // Told, the application's last words (an error before its close) go
        // through; its close is next, and nothing after it.
        #expect(try ws.send(.binary(ByteBuffer(bytes: [3, 7])), buffered: 902).get().length == 2)
        _ = ws.close(code: WebSocketCloseCode(rawValue: 4007), reason: "too slow")
        #expect(ws.send(message, buffered: 0) == .refuse(.closeSent, then: .none))
    }

    @Test func roomFreesAsWritesComplete() throws {
        var ws = limited(outboundBytes: 1000)
        let message = WebSocketMessage.binary(ByteBuffer(repeating: 1, count: 396))  // 400 on the wire
        for _ in 0..<10 {
            _ = try ws.send(message, buffered: 0).get()
            _ = try ws.send(message, buffered: 400).get()
        }
        #expect(!ws.limitBroken)
    }

    @Test func aMessageLargerThanTheBoundIsAcceptedOnAnEmptyBuffer() throws {
        var ws = limited(outboundBytes: 100)
        let big = WebSocketMessage.binary(ByteBuffer(repeating: 1, count: 1000))
        #expect(try ws.send(big, buffered: 0).get().length == 1000)
        #expect(ws.send(.binary(ByteBuffer(bytes: [1])), buffered: 1004) == .refuse(.peerTooSlow, then: .reportLimit(.outboundBytes(100))))
    }

    @Test func aFramedMessageGoesOutAsItCameFromAServerAndMaskedFromAClient() throws {
        let message = FramedBinaryMessage(allocator: ByteBufferAllocator(), capacity: 4) { $0.writeBytes([1, 2, 3, 4]) }
        var server = limited(outboundBytes: 100)
        guard case .write(let bytes) = server.send(message, buffered: 0) else { throw WebSocketConnection.Send.Refused() }
        #expect(Array(bytes.readableBytesView) == [0x82, 4, 1, 2, 3, 4])
        #expect(server.send(message, buffered: 100) == .refuse(.peerTooSlow, then: .reportLimit(.outboundBytes(100))))

        var client = WebSocketConnection(configuration: WebSocketConfiguration(role: .client, pingInterval: nil), now: t0)
        let frame = try client.send(message, buffered: 0).get()
        #expect(frame.maskKey != nil)
        #expect(frame.opcode == .binary && frame.fin)
        #expect(frame.data == ByteBuffer(bytes: [1, 2, 3, 4]))
    }
}
