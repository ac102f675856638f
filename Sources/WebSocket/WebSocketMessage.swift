import NIOCore

/// One whole WebSocket message, reassembled from its frames and unmasked.
///
/// This is what the handler after `WebSocketHandler` reads and what it sends
/// (wrapped in `WebSocketOutbound.message`). Text has been checked to be UTF-8
/// before it is delivered; binary is handed on as received, without a copy
/// when the message came in one frame.
public enum WebSocketMessage: Sendable, Equatable {
    case binary(ByteBuffer)
    case text(String)
}
