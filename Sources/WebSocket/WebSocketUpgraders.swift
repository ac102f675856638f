import NIOCore
import NIOHTTP1
import NIOWebSocket

/// NIO's WebSocket upgraders answer the handshake; these take over the
/// pipeline after it. NIO's put its `WebSocketFrameEncoder` in the pipeline
/// for good (it cannot be removed), and this layer writes its frames itself
/// (`WebSocketHandler`, `FramedBinaryMessage`), so here only NIO's frame
/// decoder is added before the upgrade pipeline handler runs.

/// The server side: NIO's `NIOWebSocketServerUpgrader` builds the 101
/// response (the accept key, `shouldUpgrade`'s headers).
public final class WebSocketServerUpgrader: HTTPServerProtocolUpgrader, Sendable {
    private let handshake: NIOWebSocketServerUpgrader
    private let maxFrameSize: Int
    private let upgradePipelineHandler: @Sendable (any Channel, HTTPRequestHead) -> EventLoopFuture<Void>

    public let supportedProtocol = "websocket"
    public let requiredUpgradeHeaders: [String] = []

    init(maxFrameSize: Int,
         shouldUpgrade: @escaping @Sendable (any Channel, HTTPRequestHead) -> EventLoopFuture<HTTPHeaders?>,
         upgradePipelineHandler: @escaping @Sendable (any Channel, HTTPRequestHead) -> EventLoopFuture<Void>) {
        self.handshake = NIOWebSocketServerUpgrader(maxFrameSize: maxFrameSize, automaticErrorHandling: false,
                                                    shouldUpgrade: shouldUpgrade,
                                                    upgradePipelineHandler: { channel, _ in channel.eventLoop.makeSucceededVoidFuture() })
        self.maxFrameSize = maxFrameSize
        self.upgradePipelineHandler = upgradePipelineHandler
    }

    public func buildUpgradeResponse(channel: any Channel, upgradeRequest: HTTPRequestHead,
                                     initialResponseHeaders: HTTPHeaders) -> EventLoopFuture<HTTPHeaders> {
        handshake.buildUpgradeResponse(channel: channel, upgradeRequest: upgradeRequest, initialResponseHeaders: initialResponseHeaders)
    }

    public func upgrade(context: ChannelHandlerContext, upgradeRequest: HTTPRequestHead) -> EventLoopFuture<Void> {
        let channel = context.channel
        return channel.eventLoop.makeCompletedFuture {
            try WebSocketPipeline.addFrameDecoder(maxFrameSize: maxFrameSize, to: channel.pipeline.syncOperations)
        }.flatMap { [upgradePipelineHandler] in
            upgradePipelineHandler(channel, upgradeRequest)
        }
    }
}

/// The client side: NIO's `NIOTypedWebSocketClientUpgrader` adds the key to
/// the request and checks the server's accept header.
public struct WebSocketClientUpgrader<UpgradeResult: Sendable>: NIOTypedHTTPClientProtocolUpgrader {
    private let handshake: NIOTypedWebSocketClientUpgrader<UpgradeResult>
    private let maxFrameSize: Int
    private let upgradePipelineHandler: @Sendable (any Channel, HTTPResponseHead) -> EventLoopFuture<UpgradeResult>

    public var supportedProtocol: String { handshake.supportedProtocol }
    public var requiredUpgradeHeaders: [String] { handshake.requiredUpgradeHeaders }

    init(maxFrameSize: Int, requestKey: String,
         upgradePipelineHandler: @escaping @Sendable (any Channel, HTTPResponseHead) -> EventLoopFuture<UpgradeResult>) {
        self.handshake = NIOTypedWebSocketClientUpgrader(
            requestKey: requestKey, maxFrameSize: maxFrameSize, enableAutomaticErrorHandling: false,
            upgradePipelineHandler: { channel, _ in
                channel.eventLoop.makeFailedFuture(ChannelError.operationUnsupported)
            })
        self.maxFrameSize = maxFrameSize
        self.upgradePipelineHandler = upgradePipelineHandler
    }

    public func addCustom(upgradeRequestHeaders: inout HTTPHeaders) {
        handshake.addCustom(upgradeRequestHeaders: &upgradeRequestHeaders)
    }

    public func shouldAllowUpgrade(upgradeResponse: HTTPResponseHead) -> Bool {
        handshake.shouldAllowUpgrade(upgradeResponse: upgradeResponse)
    }

    public func upgrade(channel: any Channel, upgradeResponse: HTTPResponseHead) -> EventLoopFuture<UpgradeResult> {
        channel.eventLoop.makeCompletedFuture {
            try WebSocketPipeline.addFrameDecoder(maxFrameSize: maxFrameSize, to: channel.pipeline.syncOperations)
        }.flatMap { [upgradePipelineHandler] in
            upgradePipelineHandler(channel, upgradeResponse)
        }
    }
}
