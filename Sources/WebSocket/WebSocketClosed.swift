/// Fired as an inbound user event (`context.fireUserInboundEventTriggered`)
/// exactly once when the connection has ended, just before or as the channel
/// closes.
///
/// `code` and `reason` come from the close frame that started the end: the
/// peer's when the peer closed first (`code` is nil when its close frame had
/// no status), ours when we closed first (including when we failed the
/// connection for a protocol error, a timeout or an idle peer). When TCP ended
/// without any close frame, `code` is nil and `initiatedByPeer` is true
/// (RFC 6455 calls that 1006, abnormal closure).
public struct WebSocketClosed: Sendable, Equatable {
    public var code: WebSocketCloseCode?
    public var reason: String
    public var initiatedByPeer: Bool

    public init(code: WebSocketCloseCode?, reason: String, initiatedByPeer: Bool) {
        self.code = code
        self.reason = reason
        self.initiatedByPeer = initiatedByPeer
    }
}
