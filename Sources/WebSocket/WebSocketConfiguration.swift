import NIOCore

/// How one WebSocket connection behaves. Both the game server and the Swift
/// client build one, differing in `role` and in what they accept.
public struct WebSocketConfiguration: Sendable {
    /// Which end of the connection this is. RFC 6455 §5.1: a client masks
    /// every frame it sends and a server masks none; each side fails the
    /// connection (1002) when the other breaks that rule.
    public enum Role: Sendable {
        case server, client
    }

    public var role: Role

    /// Largest message, in bytes, after reassembly; also the largest single
    /// frame NIO's decoder will buffer (pass it as `maxFrameSize`, as
    /// `WebSocketPipeline` does). A message that would exceed it closes the
    /// connection with 1009 before more than this much is held. 1 MiB by
    /// default: far above any game message, small enough that a hostile peer
    /// cannot make the server hold much. At most `UInt32.max` (NIO's limit).
    public var maxMessageBytes: Int

    /// Whether text messages are delivered. When false, a text message closes
    /// the connection with 1003 (unsupported data): the game server speaks
    /// binary only. The echo and conformance handlers set it true.
    public var acceptsText: Bool

    /// How often to send a ping, to keep middleboxes from dropping a quiet
    /// connection and to make a live peer answer (which keeps `idleTimeout`
    /// from firing). nil sends no pings.
    public var pingInterval: TimeAmount?

    /// A peer from which no frame at all has arrived for this long is dropped:
    /// close 1001 "idle timeout" is sent if nothing was sent yet, then TCP is
    /// closed. Keep it a few times the peer's ping interval (or ours: a live
    /// peer answers our pings). Applies whether or not we ping.
    public var idleTimeout: TimeAmount

    /// How long to wait, after our close frame, for the peer's close frame
    /// (and, as a client, after the closing handshake, for the server to close
    /// TCP) before closing TCP ourselves.
    public var closeTimeout: TimeAmount

    /// Frames per second the peer may send, sustained, with bursts of two
    /// seconds' worth (`FrameRateLimit`). Every frame counts: data,
    /// continuation, ping, pong and close, so a message of k frames costs k.
    /// A peer over it is reported with a `WebSocketLimitExceeded.frameRate`
    /// user event; unless the next handler closes the connection its own way
    /// while handling it, the connection is failed with 1008 (policy
    /// violation). nil (the default) sets no limit; the game server sets its
    /// per-client message rate. Change it on a live connection with the
    /// `WebSocketFrameRate` outbound user event.
    public var maxFramesPerSecond: Int?

    /// Bytes that may wait in this connection's outbound buffer: frames
    /// handed to the channel and not yet written to the socket. A message
    /// that would take the total past it is refused
    /// (`WebSocketWriteError.peerTooSlow`) and the peer is reported with a
    /// `WebSocketLimitExceeded.outboundBytes` user event; unless the next
    /// handler closes the connection its own way, it is failed with 1008.
    /// A message is always accepted when nothing is waiting, so at most
    /// `max(maxOutboundBytes, one message)` is held, plus a pong, what the
    /// next handler writes while handling the event, and a close frame. Pongs (at most one pending, for the latest ping), pings and the
    /// close frame are counted but never refused.
    ///
    /// 4 MiB by default: far above what a healthy game client has waiting
    /// (the game server stops sending snapshots to a channel over its
    /// 128 KiB write-buffer high-water mark, so a player holds that plus one
    /// snapshot, a welcome or an error), yet small enough that a client that
    /// never reads costs at most a few MiB instead of growing without bound.
    public var maxOutboundBytes: Int

    public init(
        role: Role,
        maxMessageBytes: Int = 1 << 20,
        acceptsText: Bool = false,
        pingInterval: TimeAmount? = .seconds(15),
        idleTimeout: TimeAmount = .seconds(45),
        closeTimeout: TimeAmount = .seconds(5),
        maxFramesPerSecond: Int? = nil,
        maxOutboundBytes: Int = 4 << 20
    ) {
        self.role = role
        self.maxMessageBytes = maxMessageBytes
        self.acceptsText = acceptsText
        self.pingInterval = pingInterval
        self.idleTimeout = idleTimeout
        self.closeTimeout = closeTimeout
        self.maxFramesPerSecond = maxFramesPerSecond
        self.maxOutboundBytes = maxOutboundBytes
    }
}
