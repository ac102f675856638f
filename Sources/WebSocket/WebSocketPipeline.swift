import NIOCore
import NIOHTTP1
import NIOWebSocket

/// How the server and the client install this layer, identically.
///
/// The upgraders made here (`WebSocketServerUpgrader`,
/// `WebSocketClientUpgrader`) let NIO answer the handshake, then add NIO's
/// frame decoder (with `maxFrameSize`) and call the upgrade pipeline
/// handler. No frame encoder: `WebSocketHandler` writes frames itself, as
/// bytes. In the pipeline handler, add `WebSocketHandler` first and the
/// application's handler after it:
///
///     let upgrader = WebSocketPipeline.serverUpgrader(
///         configuration: configuration,
///         shouldUpgrade: { channel, _ in channel.eventLoop.makeSucceededFuture([:]) },
///         upgradePipelineHandler: { channel, _ in
///             channel.eventLoop.makeCompletedFuture {
///                 try WebSocketPipeline.addWebSocketHandler(
///                     configuration: configuration, to: channel.pipeline.syncOperations)
///                 try channel.pipeline.syncOperations.addHandler(GameSession())
///             }
///         })
///
/// The client does the same with `clientUpgrader` and `role: .client`.
public enum WebSocketPipeline {
    /// The largest frame NIO's decoder may buffer: the message limit, since
    /// one frame can be a whole message (NIO allows at most `UInt32.max`).
    public static func maxFrameSize(for configuration: WebSocketConfiguration) -> Int {
        min(configuration.maxMessageBytes, Int(UInt32.max))
    }

    /// The server's upgrader, with `maxFrameSize` = `maxMessageBytes`.
    /// `upgradePipelineHandler` runs once the frame decoder is in place and
    /// must add `WebSocketHandler` (with `addWebSocketHandler`) and then the
    /// application's handler.
    public static func serverUpgrader(
        configuration: WebSocketConfiguration,
        shouldUpgrade: @escaping @Sendable (any Channel, HTTPRequestHead) -> EventLoopFuture<HTTPHeaders?>,
        upgradePipelineHandler: @escaping @Sendable (any Channel, HTTPRequestHead) -> EventLoopFuture<Void>
    ) -> WebSocketServerUpgrader {
        precondition(configuration.role == .server, "a server upgrader needs a configuration with role .server")
        return WebSocketServerUpgrader(maxFrameSize: maxFrameSize(for: configuration), shouldUpgrade: shouldUpgrade,
                                       upgradePipelineHandler: upgradePipelineHandler)
    }

    /// The client's upgrader (for `NIOTypedHTTPClientUpgradeHandler`), with
    /// `maxFrameSize` = `maxMessageBytes`. `upgradePipelineHandler` must add
    /// `WebSocketHandler` (with `addWebSocketHandler`) and then the
    /// application's handler.
    public static func clientUpgrader<UpgradeResult: Sendable>(
        configuration: WebSocketConfiguration,
        requestKey: String = NIOWebSocketClientUpgrader.randomRequestKey(),
        upgradePipelineHandler: @escaping @Sendable (any Channel, HTTPResponseHead) -> EventLoopFuture<UpgradeResult>
    ) -> WebSocketClientUpgrader<UpgradeResult> {
        precondition(configuration.role == .client, "a client upgrader needs a configuration with role .client")
        return WebSocketClientUpgrader(maxFrameSize: maxFrameSize(for: configuration), requestKey: requestKey,
                                       upgradePipelineHandler: upgradePipelineHandler)
    }

    /// NIO's frame decoder, which the upgraders add before their pipeline
    /// handler runs.
    static func addFrameDecoder(maxFrameSize: Int, to pipeline: ChannelPipeline.SynchronousOperations) throws {
        try pipeline.addHandler(ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: maxFrameSize)))
    }

    /// Adds `WebSocketHandler` at the end of the pipeline, which after an
    /// upgrade is right after NIO's frame decoder. The same call for both roles:
    /// the role in `configuration` decides masking. Add the application's
    /// handler after this.
    public static func addWebSocketHandler(
        configuration: WebSocketConfiguration,
        to pipeline: ChannelPipeline.SynchronousOperations
    ) throws {
        try pipeline.addHandler(WebSocketHandler(configuration: configuration))
    }

    /// `addWebSocketHandler(configuration:to:)` from off the channel's event loop.
    public static func addWebSocketHandler(
        configuration: WebSocketConfiguration,
        to channel: any Channel
    ) -> EventLoopFuture<Void> {
        channel.eventLoop.submit {
            try addWebSocketHandler(configuration: configuration, to: channel.pipeline.syncOperations)
        }
    }
}
