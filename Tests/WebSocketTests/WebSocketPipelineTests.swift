import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import Testing

@testable import WebSocket

/// The layer live: a NIOPosix server and a NIOPosix client on 127.0.0.1,
/// both installed with `WebSocketPipeline`.
@Suite struct WebSocketPipelineTests {
    struct Outcome: Sendable {
        var received: [WebSocketMessage]
        var closed: WebSocketClosed
    }

    /// Sends its messages once upgraded, closes when all echoes are back,
    /// and reports what it saw once the connection has ended.
    final class ClientProbe: ChannelInboundHandler {
        typealias InboundIn = WebSocketMessage
        typealias OutboundOut = WebSocketOutbound

        let toSend: [WebSocketMessage]
        let done: EventLoopPromise<Outcome>
        var received: [WebSocketMessage] = []

        init(toSend: [WebSocketMessage], done: EventLoopPromise<Outcome>) {
            self.toSend = toSend
            self.done = done
        }

        /// Sends on the loop's next turn: the upgrade handler refuses writes
        /// until it has removed itself, right after the upgrade in this turn.
        func handlerAdded(context: ChannelHandlerContext) {
            context.eventLoop.assumeIsolated().execute { [self] in
                for message in toSend {
                    context.write(wrapOutboundOut(.message(message)), promise: nil)
                }
                context.flush()
            }
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            received.append(unwrapInboundIn(data))
            if received.count == toSend.count {
                context.writeAndFlush(wrapOutboundOut(.close(.normalClosure, reason: "done")), promise: nil)
            }
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if let closed = event as? WebSocketClosed {
                done.succeed(Outcome(received: received, closed: closed))
            }
        }
    }

    private func runClient(port: Int, sending messages: [WebSocketMessage]) throws -> Outcome {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let done = group.next().makePromise(of: Outcome.self)
        let configuration = WebSocketConfiguration(role: .client, acceptsText: true, pingInterval: nil)
        let channel = try ClientBootstrap(group: group)
            .channelInitializer { channel in
                let upgrader = WebSocketPipeline.clientUpgrader(configuration: configuration) { channel, _ in
                    channel.eventLoop.makeCompletedFuture {
                        try WebSocketPipeline.addWebSocketHandler(configuration: configuration, to: channel.pipeline.syncOperations)
                        try channel.pipeline.syncOperations.addHandler(ClientProbe(toSend: messages, done: done))
                    }
                }
                return channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    let encoder = HTTPRequestEncoder()
                    let decoder = ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .forwardBytes))
                    try sync.addHandler(encoder)
                    try sync.addHandler(decoder)
                    let headers = HTTPHeaders([("Host", "127.0.0.1"), ("Content-Length", "0")])
                    let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/", headers: headers)
                    let upgrade = NIOTypedHTTPClientUpgradeConfiguration<Void>(upgradeRequestHead: head, upgraders: [upgrader]) { channel in
                        channel.eventLoop.makeSucceededVoidFuture()
                    }
                    try sync.addHandler(NIOTypedHTTPClientUpgradeHandler(httpHandlers: [encoder, decoder], upgradeConfiguration: upgrade))
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .wait()
        let timeout = channel.eventLoop.scheduleTask(in: .seconds(20)) {
            done.fail(ChannelError.connectTimeout(.seconds(20)))
        }
        defer { timeout.cancel() }
        let outcome = try done.futureResult.wait()
        try channel.closeFuture.wait()
        return outcome
    }

    @Test func clientAndServerExchangeMessagesAndClose() throws {
        let server = try EchoServer.start(
            configuration: WebSocketConfiguration(role: .server, acceptsText: true, pingInterval: nil))
        defer { try? server.stop() }
        let big = ByteBuffer(bytes: (0..<200_000).map { UInt8(truncatingIfNeeded: $0) })
        let messages: [WebSocketMessage] = [.text("hello κόσμε"), .binary(big), .binary(ByteBuffer())]
        let outcome = try runClient(port: server.port, sending: messages)
        #expect(outcome.received == messages)
        #expect(outcome.closed == WebSocketClosed(code: .normalClosure, reason: "done", initiatedByPeer: false))
    }

    @Test func serverRefusesTextWith1003() throws {
        let server = try EchoServer.start(configuration: WebSocketConfiguration(role: .server, pingInterval: nil))
        defer { try? server.stop() }
        let outcome = try runClient(port: server.port, sending: [.text("no text here")])
        #expect(outcome.received.isEmpty)
        #expect(outcome.closed.code == .unsupportedData)
        #expect(outcome.closed.initiatedByPeer)
    }

    @Test func serverRefusesAnOversizedFrameWith1009() throws {
        let server = try EchoServer.start(
            configuration: WebSocketConfiguration(role: .server, maxMessageBytes: 1000, pingInterval: nil))
        defer { try? server.stop() }
        let outcome = try runClient(port: server.port, sending: [.binary(ByteBuffer(repeating: 1, count: 1001))])
        #expect(outcome.received.isEmpty)
        #expect(outcome.closed.code == .messageTooBig)
        #expect(outcome.closed.initiatedByPeer)
    }
}
