import NIOCore
import NIOWebSocket

/// A binary message built with its WebSocket frame header in front, in one
/// buffer: a server writes it to the socket as it is, with no copy, no
/// header buffer and no second write (`WebSocketOutbound.framed`).
///
/// The payload is written first, behind room for the longest unmasked
/// header; the header then goes into that room, right before the payload.
/// So the length need not be known in advance and the result is one frame
/// whatever the closure writes.
///
/// Frames from a server are not masked (RFC 6455 §5.1). A client's
/// `WebSocketHandler` frames such a message again, masked, at the cost of a
/// copy: correct for both roles, cheap for servers.
public struct FramedBinaryMessage: Sendable {
    /// The whole frame: header and payload, readable.
    public let frame: ByteBuffer
    /// Where the payload starts within `frame`'s readable bytes.
    let headerSize: Int

    /// A message whose payload is what `write` appends to the buffer it is
    /// given (`capacity`: the payload size expected, a hint).
    public init(allocator: ByteBufferAllocator, capacity: Int, _ write: (inout ByteBuffer) throws -> Void) rethrows {
        let room = WebSocketFrameHeader.maxUnmaskedBytes
        var buffer = allocator.buffer(capacity: room + capacity)
        buffer.moveWriterIndex(forwardBy: room)
        buffer.moveReaderIndex(forwardBy: room)
        try write(&buffer)
        let length = buffer.readableBytes
        let size = WebSocketFrameHeader.size(payloadLength: length, masked: false)
        if buffer.readerIndex >= size {
            // The usual case: the header fits the room left in front.
            let start = buffer.readerIndex - size
            buffer.setWebSocketFrameHeader(fin: true, opcode: .binary, payloadLength: length, maskKey: nil, at: start)
            buffer.moveReaderIndex(to: start)
        } else {
            // `write` moved the reader index back into the room: frame a copy.
            var framed = allocator.buffer(capacity: size + length)
            framed.writeWebSocketFrameHeader(fin: true, opcode: .binary, payloadLength: length, maskKey: nil)
            framed.writeImmutableBuffer(buffer)
            buffer = framed
        }
        frame = buffer
        headerSize = size
    }

    /// The message's payload, without the header.
    public var payload: ByteBuffer {
        frame.getSlice(at: frame.readerIndex + headerSize, length: frame.readableBytes - headerSize) ?? ByteBuffer()
    }

    /// Its size on the wire, header included (as a server sends it).
    public var wireSize: Int { frame.readableBytes }
}
