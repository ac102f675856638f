/// Reads what `BitWriter` wrote. Every read checks the bits left and throws
/// `ProtocolError.truncated` past the end; nothing is allocated from a
/// length the bytes claim before checking it against what is there.
public struct BitReader: BitStream {
    private let bytes: [UInt8]
    private let end: Int          // in bits
    public private(set) var position: Int   // in bits

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
        end = bytes.count * 8
        position = 0
    }

    public init(_ bytes: ArraySlice<UInt8>) { self.init(Array(bytes)) }

    public var isReading: Bool { true }
    public var remainingBits: Int { end - position }
    public var isAtEnd: Bool { position >= end }

    @inline(__always)
    public mutating func bits(_ value: inout UInt64, count: Int) throws(ProtocolError) {
        value = try read(count: count)
    }

    public mutating func read(count: Int) throws(ProtocolError) -> UInt64 {
        precondition(count >= 0 && count <= 64)
        guard count <= end - position else {
            throw ProtocolError(.truncated, "message ends \(count - (end - position)) bits early")
        }
        var result: UInt64 = 0
        var got = 0
        while got < count {
            let byte = UInt64(bytes[position >> 3])
            let offset = position & 7
            let take = min(8 - offset, count - got)
            let chunk = (byte >> UInt64(offset)) & ((1 << UInt64(take)) - 1)
            result |= chunk << UInt64(got)
            got += take
            position += take
        }
        return result
    }

    /// Skips to the next byte; the padding must be zero.
    public mutating func align() throws(ProtocolError) {
        let pad = (8 - position % 8) % 8
        guard pad <= end - position else { throw ProtocolError(.truncated, "message ends inside its padding") }
        guard try read(count: pad) == 0 else { throw ProtocolError(.outOfRange, "padding bits are not zero") }
    }

    /// Fails unless everything was read (up to the final padding).
    public mutating func expectEnd() throws(ProtocolError) {
        try align()
        guard position == end else { throw ProtocolError(.outOfRange, "\((end - position) / 8) unexpected bytes at the end of the message") }
    }
}
