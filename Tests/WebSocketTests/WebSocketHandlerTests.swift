import NIOCore
import NIOEmbedded
import NIOWebSocket
import Testing

@testable import WebSocket

/// `WebSocketHandler` on an EmbeddedChannel: frames in, messages and frames
/// out, timers on the embedded loop's clock.
@Suite struct WebSocketHandlerTests {
    let peer = Peer.client
    let server = WebSocketConfiguration(role: .server, acceptsText: true, pingInterval: nil)

    @Test func messagesReachTheNextHandler() throws {
        let harness = try HandlerHarness(server)
        try harness.receive(peer.frame(.binary, [1, 2, 3]))
        try harness.receive(peer.text("ab", fin: false))
        try harness.receive(peer.frame(.continuation, Array("c".utf8)))
        #expect(harness.recorder.messages == [.binary(ByteBuffer(bytes: [1, 2, 3])), .text("abc")])
        #expect(try harness.sent().isEmpty)
    }

    @Test func unmaskedSingleFrameIsHandedOnWithoutACopy() throws {
        let harness = try HandlerHarness(WebSocketConfiguration(role: .client, pingInterval: nil))
        let payload = ByteBuffer(bytes: Array(repeating: 7, count: 64))
        try harness.receive(WebSocketFrame(fin: true, opcode: .binary, data: payload))
        guard case .binary(let delivered) = harness.recorder.messages.first else {
            Issue.record("nothing delivered")
            return
        }
        let sent = payload.withUnsafeReadableBytes { $0.baseAddress }
        let received = delivered.withUnsafeReadableBytes { $0.baseAddress }
        #expect(sent == received)
    }

    @Test func pingIsAnsweredAndFlushed() throws {
        let harness = try HandlerHarness(server)
        try harness.receive(peer.frame(.ping, [4, 2]))
        let frames = try harness.sent()
        #expect(frames.map(\.opcode) == [.pong])
        #expect(frames.first?.data == ByteBuffer(bytes: [4, 2]))
        #expect(frames.first?.maskKey == nil)
    }

    @Test func writesBecomeFramesAndFlushesPassThrough() throws {
        let harness = try HandlerHarness(server)
        harness.channel.write(WebSocketOutbound.message(.binary(ByteBuffer(bytes: [1]))), promise: nil)
        #expect(try harness.sent().isEmpty)
        harness.channel.flush()
        let frames = try harness.sent()
        #expect(frames.map(\.opcode) == [.binary])
        #expect(frames.first?.fin == true)
    }

    @Test func clientMasksEveryFrame() throws {
        let harness = try HandlerHarness(WebSocketConfiguration(role: .client, acceptsText: true, pingInterval: nil))
        try harness.write(.message(.text("hello"))).wait()
        try harness.channel.writeInbound(Peer.server.frame(.ping, [1]))
        let frames = try harness.sent()
        #expect(frames.map(\.opcode) == [.text, .pong])
        #expect(frames.allSatisfy { $0.maskKey != nil })
        #expect(frames.first?.data == ByteBuffer(string: "hello"))  // the encoder masks it
    }

    // MARK: Closing

    @Test func peerCloseIsEchoedThenTheServerClosesTCP() throws {
        let harness = try HandlerHarness(server)
        try harness.receive(peer.close(code: 4001, reason: Array("game over".utf8)))
        let frames = try harness.sent()
        #expect(frames.count == 1)
        #expect(closeBody(frames[0])?.code == 4001)
        #expect(harness.recorder.closed == [WebSocketClosed(code: WebSocketCloseCode(rawValue: 4001), reason: "game over", initiatedByPeer: true)])
        #expect(!harness.channel.isActive)
        // Data after the close is ignored.
        try? harness.receive(peer.frame(.binary, [1]))
        #expect(harness.recorder.messages.isEmpty)
    }

    @Test func clientWaitsForTheServerToCloseTCPUpToTheTimeout() throws {
        let config = WebSocketConfiguration(role: .client, pingInterval: nil, closeTimeout: .seconds(2))
        let harness = try HandlerHarness(config)
        try harness.receive(Peer.server.close(code: 1000))
        #expect(try harness.sent().map(\.opcode) == [.connectionClose])
        #expect(harness.channel.isActive)
        #expect(harness.recorder.closed.isEmpty)
        harness.loop.advanceTime(by: .milliseconds(1999))
        #expect(harness.channel.isActive)
        harness.loop.advanceTime(by: .milliseconds(1))
        #expect(!harness.channel.isActive)
        #expect(harness.recorder.closed == [WebSocketClosed(code: .normalClosure, reason: "", initiatedByPeer: true)])
    }

    @Test func clientReportsWhenTheServerClosesTCP() throws {
        let harness = try HandlerHarness(WebSocketConfiguration(role: .client, pingInterval: nil))
        try harness.receive(Peer.server.close(code: 1001))
        harness.channel.pipeline.fireChannelInactive()
        #expect(harness.recorder.closed == [WebSocketClosed(code: .goingAway, reason: "", initiatedByPeer: true)])
    }

    @Test func weCloseAndThePeerAnswers() throws {
        let harness = try HandlerHarness(server)
        let written = harness.write(.close(.goingAway, reason: "restart"))
        #expect(try harness.sent().map { closeBody($0)?.code } == [1001])
        try written.wait()
        #expect(harness.channel.isActive)
        try harness.receive(peer.close(code: 1001))
        #expect(try harness.sent().isEmpty)  // nothing after our close
        #expect(!harness.channel.isActive)
        #expect(harness.recorder.closed == [WebSocketClosed(code: .goingAway, reason: "restart", initiatedByPeer: false)])
    }

    @Test func weCloseAndThePeerNeverAnswers() throws {
        let harness = try HandlerHarness(WebSocketConfiguration(role: .server, pingInterval: nil, closeTimeout: .seconds(3)))
        harness.write(.close(.normalClosure, reason: ""))
        harness.loop.advanceTime(by: .seconds(2))
        #expect(harness.channel.isActive)
        harness.loop.advanceTime(by: .seconds(1))
        #expect(!harness.channel.isActive)
        #expect(harness.recorder.closed.count == 1)
    }

    @Test func writesAfterACloseFailAndSendNothing() throws {
        let harness = try HandlerHarness(server)
        harness.write(.close(.normalClosure, reason: ""))
        _ = try harness.sent()
        #expect(throws: WebSocketWriteError.closeSent) {
            try harness.write(.message(.binary(ByteBuffer(bytes: [1])))).wait()
        }
        try harness.write(.close(.goingAway, reason: "again")).wait()
        #expect(try harness.sent().isEmpty)
    }

    @Test func protocolErrorSendsCloseThenClosesTCP() throws {
        let harness = try HandlerHarness(server)
        try harness.receive(Peer.server.frame(.binary, [1]))  // unmasked from a client
        #expect(try harness.sent().map { closeBody($0)?.code } == [1002])
        #expect(!harness.channel.isActive)
        #expect(harness.recorder.closed.map(\.code) == [.protocolError])
        #expect(harness.recorder.closed.first?.initiatedByPeer == false)
    }

    /// Holds every write unfinished, like a peer that stopped reading.
    final class StalledWrites: ChannelOutboundHandler {
        typealias OutboundIn = ByteBuffer
        var held: [EventLoopPromise<Void>?] = []
        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            held.append(promise)
        }
    }

    @Test func failureClosesTCPAfterTheCloseFrameOrTheTimeout() throws {
        let config = WebSocketConfiguration(role: .server, pingInterval: nil, closeTimeout: .seconds(4))
        let channel = EmbeddedChannel()
        let stalled = StalledWrites()
        try channel.pipeline.syncOperations.addHandlers([stalled, WebSocketHandler(configuration: config)])
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        try channel.writeInbound(peer.frame(.continuation, [1]))
        #expect(stalled.held.count == 1)  // the close frame, not yet written
        channel.embeddedEventLoop.advanceTime(by: .seconds(3))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(!channel.isActive)
        for promise in stalled.held { promise?.fail(ChannelError.ioOnClosedChannel) }
    }

    @Test func decoderErrorsFromErrorCaughtClose() throws {
        let cases: [(NIOWebSocketError, UInt16)] = [
            (.invalidFrameLength, 1009), (.fragmentedControlFrame, 1002), (.multiByteControlFrameLength, 1002),
        ]
        for (error, code) in cases {
            let harness = try HandlerHarness(server)
            harness.channel.pipeline.fireErrorCaught(error)
            #expect(try harness.sent().map { closeBody($0)?.code } == [code])
            #expect(!harness.channel.isActive)
            #expect(harness.recorder.errors.isEmpty)
            #expect(harness.recorder.closed.count == 1)
        }
    }

    @Test func otherErrorsPassThrough() throws {
        let harness = try HandlerHarness(server)
        harness.channel.pipeline.fireErrorCaught(ChannelError.connectTimeout(.seconds(1)))
        #expect(harness.recorder.errors.count == 1)
        #expect(harness.channel.isActive)
    }

    @Test func halfCloseEndsTheConnection() throws {
        let harness = try HandlerHarness(server)
        harness.channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        #expect(harness.recorder.closed == [WebSocketClosed(code: nil, reason: "", initiatedByPeer: true)])
        #expect(!harness.channel.isActive)
        #expect(try harness.sent().isEmpty)
    }

    @Test func closedIsReportedExactlyOnce() throws {
        let harness = try HandlerHarness(server)
        try harness.receive(peer.close(code: 1000))
        harness.channel.pipeline.fireChannelInactive()
        harness.channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        #expect(harness.recorder.closed.count == 1)
    }

    @Test func tcpEndingUnderneathIsReportedAsThePeers() throws {
        let harness = try HandlerHarness(server)
        harness.channel.pipeline.fireChannelInactive()
        #expect(harness.recorder.closed == [WebSocketClosed(code: nil, reason: "", initiatedByPeer: true)])
    }

    @Test func applicationClosingTheChannelIsReportedAsOurs() throws {
        let harness = try HandlerHarness(server)
        try harness.channel.close().wait()
        #expect(harness.recorder.closed == [WebSocketClosed(code: nil, reason: "", initiatedByPeer: false)])
        #expect(try harness.sent().isEmpty)
    }

    // MARK: Heartbeat

    @Test func pingsAreSentEveryInterval() throws {
        let config = WebSocketConfiguration(role: .server, pingInterval: .seconds(5), idleTimeout: .seconds(60))
        let harness = try HandlerHarness(config)
        harness.loop.advanceTime(by: .seconds(4))
        #expect(try harness.sent().isEmpty)
        harness.loop.advanceTime(by: .seconds(1))
        #expect(try harness.sent().map(\.opcode) == [.ping])
        harness.loop.advanceTime(by: .seconds(10))
        #expect(try harness.sent().map(\.opcode) == [.ping, .ping])
    }

    @Test func idlePeerIsDroppedAndALiveOneIsNot() throws {
        let config = WebSocketConfiguration(role: .server, pingInterval: .seconds(5), idleTimeout: .seconds(12))
        let harness = try HandlerHarness(config)
        // The peer answers two pings, then goes quiet.
        for _ in 0..<2 {
            harness.loop.advanceTime(by: .seconds(5))
            try harness.receive(peer.frame(.pong))
        }
        harness.loop.advanceTime(by: .seconds(11))  // 21 s in, 11 s since the last pong
        #expect(harness.channel.isActive)
        harness.loop.advanceTime(by: .seconds(1))
        #expect(!harness.channel.isActive)
        let closes = try harness.sent().filter { $0.opcode == .connectionClose }
        #expect(closes.map { closeBody($0)?.code } == [1001])
        #expect(closes.map { closeBody($0)?.reason } == ["idle timeout"])
        #expect(harness.recorder.closed == [WebSocketClosed(code: .goingAway, reason: "idle timeout", initiatedByPeer: false)])
    }

    @Test func idleTimeoutAppliesWithoutPings() throws {
        let harness = try HandlerHarness(WebSocketConfiguration(role: .client, pingInterval: nil, idleTimeout: .seconds(30)))
        harness.loop.advanceTime(by: .seconds(30))
        #expect(!harness.channel.isActive)
        #expect(try harness.sent().map { closeBody($0)?.code } == [1001])
    }
}
