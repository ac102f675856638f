/// How one field value travels (docs/protocol.md, "Snapshot"): written once,
/// generic over a `BitStream` that writes, reads or measures.
///
///     full value      q at the type's width; strings: int(0...max) length, bytes;
///                     vec3: x | y << bx | z << (bx + by), each axis 0...steps;
///                     quat: index | a << 2 | b << (2 + bits) | c << (2 + 2 bits)
///     changed value   bool: no bits (it flipped)
///                     integer, fixed, angle: 0 + full value, or
///                                            1 + gamma(zigzag(q - baseline))
///                     other types: full value
public struct FieldCoding: Sendable {
    public let type: FieldType
    public let quantizer: Quantizer
    /// Bits of a full value (strings: of their length prefix).
    public let width: Int
    /// Changed values may be coded relative to the baseline.
    public let relative: Bool

    public init(_ type: FieldType) {
        self.type = type
        quantizer = type.quantizer
        width = type.bitWidth
        switch type {
        case .integer, .fixed, .angle: relative = true
        default: relative = false
        }
    }

    public var isString: Bool {
        if case .string = type { return true }
        return false
    }

    /// A full value. For strings `q` is ignored and `bytes` carries the text
    /// (the caller maps it to and from its string table).
    @inline(__always)
    public func full<S: BitStream>(_ q: inout Int64, bytes: inout [UInt8], _ stream: inout S) throws(ProtocolError) {
        switch type {
        case .string(let maxBytes):
            try stream.bytes(&bytes, maxBytes: maxBytes)
        case .f32, .entity:
            var v = UInt64(UInt32(truncatingIfNeeded: q))
            try stream.bits(&v, count: 32)
            q = Int64(v)
        case .vec3:
            try stream.integer(&q, in: quantizer.lower...quantizer.upper)
            if stream.isReading, !quantizer.isValid(q) {
                throw ProtocolError(.outOfRange, "vec3 value \(q) has an axis above its last step (\(type))")
            }
        default:
            try stream.integer(&q, in: quantizer.lower...quantizer.upper)
        }
    }

    /// A changed value, `baseline` being the value the reader holds.
    @inline(__always)
    public func changed<S: BitStream>(_ q: inout Int64, from baseline: Int64, bytes: inout [UInt8], _ stream: inout S) throws(ProtocolError) {
        if case .bool = type {
            if stream.isReading { q = baseline == 0 ? 1 : 0 }
            return
        }
        guard relative else { return try full(&q, bytes: &bytes, &stream) }
        var useDelta = false
        var zigzag: UInt64 = 0
        if !stream.isReading {
            let d = q - baseline
            zigzag = d > 0 ? UInt64(d) << 1 : (UInt64(-d) << 1) - 1
            useDelta = Self.gammaBits(zigzag) < width
        }
        try stream.bool(&useDelta)
        guard useDelta else { return try full(&q, bytes: &bytes, &stream) }
        try stream.gamma(&zigzag)
        if stream.isReading {
            guard zigzag <= UInt64(Int64.max) else { throw ProtocolError(.outOfRange, "delta out of range") }
            let magnitude = Int64((zigzag + 1) >> 1)
            let d = zigzag & 1 == 0 ? magnitude : -magnitude
            let (value, overflow) = baseline.addingReportingOverflow(d)
            guard !overflow, value >= quantizer.lower, value <= quantizer.upper, d != 0 else {
                throw ProtocolError(.outOfRange, "a delta of \(d) from \(baseline) leaves the field's range")
            }
            q = value
        }
    }

    /// Bits of `gamma(v)`.
    @inline(__always)
    static func gammaBits(_ v: UInt64) -> Int {
        2 * (63 - v.leadingZeroBitCount) + 1
    }
}
