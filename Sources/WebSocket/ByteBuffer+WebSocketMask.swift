import NIOCore
import NIOWebSocket

extension ByteBuffer {
    /// XORs the readable bytes with the masking key in place (RFC 6455 §5.3;
    /// masking and unmasking are the same operation).
    ///
    /// Eight bytes at a time, since every inbound frame a server reads passes
    /// through here. When the buffer shares storage (a slice of the decoder's
    /// buffer), copy-on-write makes this the one copy of the payload.
    mutating func applyWebSocketMask(_ key: WebSocketMaskingKey) {
        var pattern: UInt64 = 0
        withUnsafeMutableBytes(of: &pattern) { bytes in
            for index in 0..<8 { bytes[index] = key[index % 4] }
        }
        let keyBytes = (key[0], key[1], key[2], key[3])
        self.withUnsafeMutableReadableBytes { bytes in
            let count = bytes.count
            var index = 0
            while index + 8 <= count {
                let word = bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                bytes.storeBytes(of: word ^ pattern, toByteOffset: index, as: UInt64.self)
                index += 8
            }
            // The word loop keeps the key's phase (8 is a multiple of 4).
            while index < count {
                let keyByte: UInt8
                switch index % 4 {
                case 0: keyByte = keyBytes.0
                case 1: keyByte = keyBytes.1
                case 2: keyByte = keyBytes.2
                default: keyByte = keyBytes.3
                }
                bytes[index] ^= keyByte
                index += 1
            }
        }
    }
}
