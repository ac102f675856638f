/// What the handler after `WebSocketHandler` writes.
///
/// A message written after a close frame has gone out fails its promise
/// with `WebSocketWriteError.closeSent` and is dropped (RFC 6455 §5.5.1: no
/// data after a close). A `.close` starts the closing handshake: the close
/// frame is sent, nothing more is sent, and TCP is closed when the peer's close
/// arrives or `closeTimeout` passes. Its promise completes when the close frame
/// is written; a second `.close` sends nothing and succeeds.
public enum WebSocketOutbound: Sendable {
    case message(WebSocketMessage)
    /// A binary message framed in advance: a server writes it as it is.
    case framed(FramedBinaryMessage)
    /// The reason is cut to fit a control frame (123 bytes after the 2-byte
    /// code) at a UTF-8 character boundary. A code that is not
    /// `isValidOnWire` is not sent: the close frame then carries no status.
    case close(WebSocketCloseCode, reason: String)
}
