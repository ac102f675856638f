import NIOCore
import NIOWebSocket
import Testing

@testable import WebSocket

@Suite struct ByteBufferWebSocketMaskTests {
    @Test func matchesNIOsMaskForEveryLength() {
        let key: WebSocketMaskingKey = [0x01, 0x80, 0xFE, 0x5A]
        for length in 0..<40 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37) }
            var ours = ByteBuffer(bytes: bytes)
            var nios = ByteBuffer(bytes: bytes)
            ours.applyWebSocketMask(key)
            nios.webSocketMask(key)
            #expect(ours == nios, "length \(length)")
            ours.applyWebSocketMask(key)
            #expect(ours == ByteBuffer(bytes: bytes))
        }
    }

    @Test func masksOnlyTheReadableBytes() {
        var buffer = ByteBuffer(bytes: [9, 9, 1, 2, 3])
        buffer.moveReaderIndex(forwardBy: 2)
        buffer.applyWebSocketMask([0xFF, 0xFF, 0xFF, 0xFF])
        #expect(Array(buffer.readableBytesView) == [0xFE, 0xFD, 0xFC])
        buffer.moveReaderIndex(to: 0)
        #expect(Array(buffer.readableBytesView) == [9, 9, 0xFE, 0xFD, 0xFC])
    }
}
