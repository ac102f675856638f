/// Why a write to `WebSocketHandler` was refused. The write is dropped.
public enum WebSocketWriteError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A close frame has already been sent on this connection, so nothing
    /// more may be sent (RFC 6455 §5.5.1).
    case closeSent
    /// The connection ended without our close frame (the peer closed TCP).
    case connectionEnded

    public var description: String {
        switch self {
        case .closeSent: "the WebSocket close frame was already sent; nothing more may be sent"
        case .connectionEnded: "the WebSocket connection has ended"
        }
    }
}
