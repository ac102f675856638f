import NIOCore
import NIOHTTP1

/// Closes a connection that does not finish an HTTP request within the
/// timeout: from accept to the end of its first request, and between the
/// requests of a kept-alive connection. Removed once a WebSocket upgrade
/// completes (the WebSocket layer's heartbeat takes over).
final class HandshakeTimeout: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart

    private let timeout: TimeAmount
    private var timer: Scheduled<Void>?

    init(timeout: TimeAmount) { self.timeout = timeout }

    func handlerAdded(context: ChannelHandlerContext) {
        arm(context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // The whole request must arrive in time (a slow body is no way
        // around it); the next one gets a fresh timeout.
        if case .end = unwrapInboundIn(data) { arm(context) }
        context.fireChannelRead(data)
    }

    private func arm(_ context: ChannelHandlerContext) {
        timer?.cancel()
        let channel = context.channel
        timer = context.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
    }
}
