import NIOCore
import NIOWebSocket

/// RFC 6455 §5.2 frame headers, written by this layer instead of NIO's
/// `WebSocketFrameEncoder`: every frame leaves `WebSocketHandler` as one
/// `ByteBuffer`, header and payload together, so the socket gets one
/// contiguous write per frame and a server's pre-framed messages
/// (`FramedBinaryMessage`) pass through untouched.
enum WebSocketFrameHeader {
    /// The longest header: 2 bytes, an 8-byte extended length, a 4-byte mask key.
    static let maxBytes = 14
    /// The longest unmasked header, what a server writes.
    static let maxUnmaskedBytes = 10

    /// The header's size for a payload of `length` bytes.
    static func size(payloadLength length: Int, masked: Bool) -> Int {
        let extended = length < 126 ? 0 : length <= Int(UInt16.max) ? 2 : 8
        return 2 + extended + (masked ? 4 : 0)
    }
}

extension ByteBuffer {
    /// Writes `frame` whole: its header, then its payload, masked with its
    /// key if it has one (the frame's own data is not changed). Only FIN,
    /// the opcode and the mask are set: this layer uses no extension bits.
    @discardableResult
    mutating func writeWebSocketFrame(_ frame: WebSocketFrame) -> Int {
        let before = writerIndex
        writeWebSocketFrameHeader(fin: frame.fin, opcode: frame.opcode, payloadLength: frame.length, maskKey: frame.maskKey)
        if let key = frame.maskKey {
            var payload = frame.data
            payload.applyWebSocketMask(key)
            writeImmutableBuffer(payload)
        } else {
            writeImmutableBuffer(frame.data)
        }
        return writerIndex - before
    }

    /// Writes a frame header for `payloadLength` bytes.
    mutating func writeWebSocketFrameHeader(fin: Bool, opcode: WebSocketOpcode, payloadLength: Int, maskKey: WebSocketMaskingKey?) {
        let size = setWebSocketFrameHeader(fin: fin, opcode: opcode, payloadLength: payloadLength, maskKey: maskKey, at: writerIndex)
        moveWriterIndex(forwardBy: size)
    }

    /// Sets a frame header for `payloadLength` bytes at `index` (the
    /// buffer grows if needed); returns its size.
    @discardableResult
    mutating func setWebSocketFrameHeader(fin: Bool, opcode: WebSocketOpcode, payloadLength: Int, maskKey: WebSocketMaskingKey?,
                                          at index: Int) -> Int {
        let first = (fin ? 0x80 : 0) | UInt8(webSocketOpcode: opcode)
        let mask: UInt8 = maskKey == nil ? 0 : 0x80
        var size: Int
        if payloadLength < 126 {
            size = setMultipleIntegers(first, mask | UInt8(payloadLength), at: index)
        } else if payloadLength <= Int(UInt16.max) {
            size = setMultipleIntegers(first, mask | 126, UInt16(payloadLength), at: index)
        } else {
            size = setMultipleIntegers(first, mask | 127, UInt64(payloadLength), at: index)
        }
        if let maskKey { size += setMultipleIntegers(maskKey[0], maskKey[1], maskKey[2], maskKey[3], at: index + size) }
        return size
    }
}
