import NIOCore
import NIOHTTP1
import NIOWebSocket

/// How the server and the client install this layer, identically.
///
/// NIO's upgraders add the frame codec (`WebSocketFrameEncoder`, and
/// `WebSocketFrameDecoder` with `maxFrameSize`) and then call the upgrade
/// pipeline handler. They must be made with `automaticErrorHandling: false`,
/// because `WebSocketHandler` answers decoder errors itself; the upgraders
/// built here are. In the pipeline handler, add `WebSocketHandler` first and
/// the application's handler after it:
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

    /// NIO's server upgrader with `maxFrameSize` = `maxMessageBytes` and
    /// automatic error handling off. `upgradePipelineHandler` runs once the
    /// frame codec is in place and must add `WebSocketHandler` (with
    /// `addWebSocketHandler`) and then the application's handler.
    public static func serverUpgrader(
        configuration: WebSocketConfiguration,
        shouldUpgrade: @escaping @Sendable (any Channel, HTTPRequestHead) -> EventLoopFuture<HTTPHeaders?>,
        upgradePipelineHandler: @escaping @Sendable (any Channel, HTTPRequestHead) -> EventLoopFuture<Void>
    ) -> NIOWebSocketServerUpgrader {
        precondition(configuration.role == .server, "a server upgrader needs a configuration with role .server")
        return NIOWebSocketServerUpgrader(
            maxFrameSize: maxFrameSize(for: configuration),
            automaticErrorHandling: false,
            shouldUpgrade: shouldUpgrade,
            upgradePipelineHandler: upgradePipelineHandler
        )
    }

    /// NIO's client upgrader with `maxFrameSize` = `maxMessageBytes` and
    /// automatic error handling off. `upgradePipelineHandler` must add
    /// `WebSocketHandler` (with `addWebSocketHandler`) and then the
    /// application's handler.
    public static func clientUpgrader(
        configuration: WebSocketConfiguration,
        requestKey: String = NIOWebSocketClientUpgrader.randomRequestKey(),
        upgradePipelineHandler: @escaping @Sendable (any Channel, HTTPResponseHead) -> EventLoopFuture<Void>
    ) -> NIOWebSocketClientUpgrader {
        precondition(configuration.role == .client, "a client upgrader needs a configuration with role .client")
        return NIOWebSocketClientUpgrader(
            requestKey: requestKey,
            maxFrameSize: maxFrameSize(for: configuration),
            automaticErrorHandling: false,
            upgradePipelineHandler: upgradePipelineHandler
        )
    }

    /// Adds `WebSocketHandler` at the end of the pipeline, which after an
    /// upgrade is right after NIO's frame codec. The same call for both roles:
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
