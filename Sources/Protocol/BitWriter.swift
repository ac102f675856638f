/// Writes bits least significant first into bytes: bit 0 of the stream is
/// bit 0 of byte 0. Byte-aligned values are plain little-endian bytes.
///
///     value 0b101 in 3 bits, then 0b1 in 1 bit:  byte 0 = 0b0000_1101
public struct BitWriter: BitStream {
    public private(set) var bytes: [UInt8] = []
    private var scratch: UInt64 = 0
    private var scratchBits = 0

    public init(capacity: Int = 1024) { bytes.reserveCapacity(capacity) }

    public var isReading: Bool { false }
    public var remainingBits: Int { .max }
    /// Bits written so far.
    public var bitCount: Int { bytes.count * 8 + scratchBits }

    @inline(__always)
    public mutating func bits(_ value: inout UInt64, count: Int) throws(ProtocolError) {
        write(value, count: count)
    }

    @inline(__always)
    public mutating func write(_ value: UInt64, count: Int) {
        precondition(count >= 0 && count <= 64 && (count == 64 || value >> UInt64(count) == 0), "\(value) does not fit \(count) bits")
        guard count > 0 else { return }
        let free = 64 - scratchBits
        if count < free {
            scratch |= value << UInt64(scratchBits)
            scratchBits += count
        } else {
            scratch |= value << UInt64(scratchBits)   // the low `free` bits of value
            flushWord()
            let rest = count - free
            scratch = rest == 0 ? 0 : value >> UInt64(free)
            scratchBits = rest
        }
    }

    /// `gamma(value)`, for `value ≥ 1` (see `BitStream.gamma`).
    @inline(__always)
    public mutating func writeGamma(_ value: UInt64) {
        precondition(value >= 1, "gamma codes values from 1")
        let width = 64 - value.leadingZeroBitCount
        write(0, count: width - 1)
        write(1, count: 1)
        write(value & ((1 << UInt64(width - 1)) &- 1), count: width - 1)
    }

    /// `BitStream.expGolomb` in one write when it fits 64 bits (it does for
    /// values up to 2^21 or so at order 0, the common case).
    @inline(__always)
    public mutating func expGolomb(_ value: inout UInt64, order: Int) throws(ProtocolError) {
        let high = (value >> UInt64(order)) + 1
        let width = 64 - high.leadingZeroBitCount
        let count = 2 * width - 1 + order
        guard count <= 64 else {
            writeGamma(high)
            write(value & ((1 << UInt64(order)) &- 1), count: order)
            return
        }
        // w - 1 zeros, a one, the low w - 1 bits of high, the low `order` bits.
        let rest = high & ((1 << UInt64(width - 1)) &- 1)
        let low = value & ((1 << UInt64(order)) &- 1)
        var code = (1 << UInt64(width - 1)) | rest << UInt64(width)
        if order > 0 { code |= low << UInt64(2 * width - 1) }
        write(code, count: count)
    }

    /// A string field's bytes: `int(0...maxBytes)` length, then the bytes,
    /// as `BitStream.bytes` writes them, without copying them first.
    public mutating func writeBytes(_ data: some Collection<UInt8>, maxBytes: Int) {
        precondition(data.count <= maxBytes)
        let span = UInt64(maxBytes)
        write(UInt64(data.count), count: span == 0 ? 0 : 64 - span.leadingZeroBitCount)
        for b in data { write(UInt64(b), count: 8) }
    }

    private mutating func flushWord() {
        var word = scratch
        for _ in 0..<8 {
            bytes.append(UInt8(truncatingIfNeeded: word))
            word >>= 8
        }
        scratch = 0
        scratchBits = 0
    }

    public mutating func align() throws(ProtocolError) { alignToByte() }

    public mutating func alignToByte() {
        let pad = (8 - scratchBits % 8) % 8
        write(0, count: pad)
    }

    /// Appends whole bytes (after aligning to a byte).
    public mutating func append(contentsOf data: some Collection<UInt8>) {
        alignToByte()
        flushScratchBytes()
        bytes.append(contentsOf: data)
    }

    private mutating func flushScratchBytes() {
        while scratchBits >= 8 {
            bytes.append(UInt8(truncatingIfNeeded: scratch))
            scratch >>= 8
            scratchBits -= 8
        }
    }

    /// The bytes written, the last one padded with zero bits.
    public mutating func finish() -> [UInt8] {
        alignToByte()
        flushScratchBytes()
        return bytes
    }
}

/// Counts the bits a message would take, without writing them.
public struct BitCounter: BitStream {
    public private(set) var bitCount = 0

    public init() {}

    public var isReading: Bool { false }
    public var remainingBits: Int { .max }

    @inline(__always)
    public mutating func bits(_ value: inout UInt64, count: Int) throws(ProtocolError) {
        bitCount += count
    }

    public mutating func align() throws(ProtocolError) { bitCount = (bitCount + 7) / 8 * 8 }
}
