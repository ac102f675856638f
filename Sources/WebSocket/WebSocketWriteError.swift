/// Why a write to `WebSocketHandler` was refused. The write is dropped.
public enum WebSocketWriteError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A close frame has already been sent on this connection, so nothing
    /// more may be sent (RFC 6455 §5.5.1).
    case closeSent
    /// The connection ended without our close frame (the peer closed TCP).
    case connectionEnded
    /// The peer does not read: the message would take the outbound buffer
    /// past `maxOutboundBytes`. The connection is being closed.
    case peerTooSlow

    public var description: String {
        switch self {
        case .closeSent: "the WebSocket close frame was already sent; nothing more may be sent"
        case .connectionEnded: "the WebSocket connection has ended"
        case .peerTooSlow: "the WebSocket peer does not read fast enough; the connection is being closed"
        }
    }
}
