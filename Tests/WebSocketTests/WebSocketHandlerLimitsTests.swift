import NIOCore
import NIOEmbedded
import NIOWebSocket
import Testing

@testable import WebSocket

/// The per-connection limits through `WebSocketHandler` on an
/// EmbeddedChannel: the frame rate, one pending pong, the outbound bound.
@Suite struct WebSocketHandlerLimitsTests {
    let peer = Peer.client

    /// Holds every frame written until `release()`, like a socket that is
    /// slow to write: the writes' promises stay pending meanwhile. Held
    /// frames are not counted as waiting in the channel, so the outbound
    /// bound is tested with `holds` off and unflushed writes, which are.
    final class HeldWrites: ChannelOutboundHandler {
        typealias OutboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        var held: [(ByteBuffer, EventLoopPromise<Void>?)] = []
        var holds = true
        var context: ChannelHandlerContext?

        func handlerAdded(context: ChannelHandlerContext) { self.context = context }
        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            guard holds else { return context.write(data, promise: promise) }
            held.append((unwrapOutboundIn(data), promise))
        }
        func flush(context: ChannelHandlerContext) {
            if !holds { context.flush() }
        }

        /// Lets what is held through to the channel, which completes it.
        func release() {
            guard let context else { return }
            let frames = held
            held = []
            for (frame, promise) in frames { context.write(wrapOutboundOut(frame), promise: promise) }
            context.flush()
        }
    }

    /// The application: records limit events and, when `closesWith` is set,
    /// answers them as the game server does (a message, then its own close).
    final class Application: ChannelInboundHandler {
        typealias InboundIn = WebSocketMessage
        typealias OutboundOut = WebSocketOutbound
        var limits: [WebSocketLimitExceeded] = []
        var closed: [WebSocketClosed] = []
        var closesWith: WebSocketCloseCode?

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if let event = event as? WebSocketClosed { closed.append(event) }
            guard let event = event as? WebSocketLimitExceeded else { return }
            limits.append(event)
            if let code = closesWith {
                context.write(wrapOutboundOut(.message(.binary(ByteBuffer(bytes: [3, 8])))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.close(code, reason: "flooding")), promise: nil)
            }
        }
    }

    struct Harness {
        let channel = EmbeddedChannel()
        let held = HeldWrites()
        let application = Application()

        init(_ configuration: WebSocketConfiguration, holding: Bool = true) throws {
            held.holds = holding
            try channel.pipeline.syncOperations.addHandlers([held, WebSocketHandler(configuration: configuration), application])
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        }

        /// Frames that reached the channel, after `release()`.
        func sent() throws -> [WebSocketFrame] {
            held.release()
            return try decodedFrames(channel)
        }
    }

    private func configuration(framesPerSecond: Int? = nil, outboundBytes: Int = 4 << 20) -> WebSocketConfiguration {
        WebSocketConfiguration(role: .server, pingInterval: nil, maxFramesPerSecond: framesPerSecond,
                               maxOutboundBytes: outboundBytes)
    }

    // MARK: Frame rate

    @Test func aFloodOfEmptyContinuationFramesIsFailedWith1008() throws {
        let harness = try Harness(configuration(framesPerSecond: 10))
        try harness.channel.writeInbound(peer.frame(.binary, [], fin: false))
        for _ in 0..<1000 { _ = try? harness.channel.writeInbound(peer.frame(.continuation, [], fin: false)) }
        #expect(harness.application.limits == [.frameRate(perSecond: 10)])
        #expect(try harness.sent().map { closeBody($0)?.code } == [1008])
        #expect(!harness.channel.isActive)
        #expect(harness.application.closed.map(\.code) == [.policyViolation])
    }

    @Test func theApplicationMayCloseItsOwnWayWhenTold() throws {
        let harness = try Harness(configuration(framesPerSecond: 10))
        harness.application.closesWith = WebSocketCloseCode(rawValue: 4008)
        for _ in 0..<100 { _ = try? harness.channel.writeInbound(peer.frame(.ping)) }
        #expect(harness.application.limits == [.frameRate(perSecond: 10)])
        // One pong (the rest only replaced the pending one), the application's
        // message and its close; no 1008.
        let frames = try harness.sent()
        #expect(frames.map(\.opcode) == [.pong, .binary, .connectionClose])
        #expect(closeBody(frames[2])?.code == 4008)
    }

    @Test func theRateChangesWithAnOutboundEvent() throws {
        let harness = try Harness(configuration(framesPerSecond: 1))
        try harness.channel.pipeline.triggerUserOutboundEvent(WebSocketFrameRate(perSecond: 1000)).wait()
        for _ in 0..<2000 { try harness.channel.writeInbound(peer.frame(.binary, [1])) }
        #expect(harness.application.limits.isEmpty)
        try harness.channel.writeInbound(peer.frame(.binary, [1]))
        #expect(harness.application.limits == [.frameRate(perSecond: 1000)])
    }

    // MARK: Pongs

    @Test func aPongNotYetWrittenIsReplacedByTheLatestPing() throws {
        let harness = try Harness(configuration())
        for payload: UInt8 in 1...200 { try harness.channel.writeInbound(peer.frame(.ping, [payload])) }
        // The first pong is handed over and waits; the others replaced one another.
        #expect(harness.held.held.count == 1)
        // Once it is written, the pong for the latest ping follows, and only it.
        let frames = try harness.sent()
        #expect(frames.map(\.data) == [ByteBuffer(bytes: [1])])
        let next = try harness.sent()
        #expect(next.map(\.opcode) == [.pong])
        #expect(next.map(\.data) == [ByteBuffer(bytes: [200])])
        #expect(try harness.sent().isEmpty)
        #expect(harness.channel.isActive)
    }

    // MARK: Outbound bytes

    @Test func aPeerThatDoesNotReadIsFailedOnceTheBoundIsReached() throws {
        let harness = try Harness(configuration(outboundBytes: 10_000), holding: false)
        var writes: [EventLoopFuture<Void>] = []
        // Written, never flushed: the peer does not read.
        for _ in 0..<100 {
            writes.append(harness.channel.write(WebSocketOutbound.message(.binary(ByteBuffer(repeating: 1, count: 996)))))
        }
        // Ten 1000-byte frames fit; the eleventh is refused and the peer reported.
        #expect(harness.application.limits == [.outboundBytes(10_000)])
        let frames = try harness.sent()
        var errors: [WebSocketWriteError] = []
        for write in writes {
            do { try write.wait() } catch let error as WebSocketWriteError { errors.append(error) }
        }
        // The eleventh for being too much, the rest for coming after the close.
        #expect(errors.first == .peerTooSlow && errors.count == 90)
        #expect(frames.count == 11)
        #expect(closeBody(frames[10])?.code == 1008)
        #expect(!harness.channel.isActive)
    }

    @Test func theApplicationsErrorBeforeItsCloseGetsThroughTheBound() throws {
        let harness = try Harness(configuration(outboundBytes: 10_000), holding: false)
        harness.application.closesWith = WebSocketCloseCode(rawValue: 4007)
        for _ in 0..<20 {
            harness.channel.write(WebSocketOutbound.message(.binary(ByteBuffer(repeating: 1, count: 996))), promise: nil)
        }
        #expect(harness.application.limits == [.outboundBytes(10_000)])
        let frames = try harness.sent()
        #expect(frames.map(\.length) == Array(repeating: 996, count: 10) + [2, 10])
        #expect(closeBody(frames[11])?.code == 4007)
    }

    @Test func bytesWrittenToTheSocketNoLongerCount() throws {
        let harness = try Harness(configuration(outboundBytes: 10_000), holding: false)
        for _ in 0..<100 {
            harness.channel.writeAndFlush(WebSocketOutbound.message(.binary(ByteBuffer(repeating: 1, count: 996))), promise: nil)
            _ = try harness.sent()
        }
        #expect(harness.application.limits.isEmpty)
        #expect(harness.channel.isActive)
    }

    @Test func unflushedWritesCountUntilTheFlush() throws {
        let harness = try Harness(configuration(outboundBytes: 10_000), holding: false)
        let channel = harness.channel
        for _ in 0..<10 { channel.write(WebSocketOutbound.message(.binary(ByteBuffer(repeating: 1, count: 996))), promise: nil) }
        #expect(harness.application.limits.isEmpty)
        channel.write(WebSocketOutbound.message(.binary(ByteBuffer(repeating: 1, count: 996))), promise: nil)
        #expect(harness.application.limits == [.outboundBytes(10_000)])
    }
}
