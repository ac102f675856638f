/// How one field value travels (docs/protocol.md, "Snapshot"): written once,
/// generic over a `BitStream` that writes, reads or measures.
///
///     full value      q at the type's width; strings: int(0...max) length, bytes;
///                     entity: gamma(id + 1);
///                     vec3: x | y << bx | z << (bx + by), each axis 0...steps;
///                     quat: index | a << 2 | b << (2 + bits) | c << (2 + 2 bits)
///     changed value   bool: no bits (it flipped)
///                     integer, fixed, angle: 2-bit mode: 0 + full value, or
///                                            m + Exp-Golomb(zigzag(q - baseline))
///                     other types: full value
public struct FieldCoding: Sendable {
    public let type: FieldType
    public let quantizer: Quantizer
    /// Bits of a full value (strings: of their length prefix).
    public let width: Int
    /// Changed values may be coded relative to the baseline.
    public let relative: Bool
    public let isString: Bool
    let isBool: Bool
    /// How a full value is written; trivial, so the hot loops never touch
    /// `type` (whose entity case holds a string).
    let wire: Wire
    public let maxBytes: Int

    enum Wire { case ranged, bits32, gamma, string, vec3 }

    public init(_ type: FieldType) {
        self.type = type
        quantizer = type.quantizer
        width = type.bitWidth
        var maxBytes = 0
        switch type {
        case .integer, .fixed, .angle: relative = true
        default: relative = false
        }
        switch type {
        case .string(let max): wire = .string; maxBytes = max
        case .f32: wire = .bits32
        case .entity: wire = .gamma
        case .vec3: wire = .vec3
        default: wire = .ranged
        }
        self.maxBytes = maxBytes
        isString = wire == .string
        isBool = type == .bool
    }

    /// A full value. For strings `q` is ignored and `bytes` carries the text
    /// (the caller maps it to and from its string table). Entity ids, small
    /// and often 0, go as `gamma(id + 1)`.
    @inline(__always)
    public func full<S: BitStream>(_ q: inout Int64, bytes: inout [UInt8], _ stream: inout S) throws(ProtocolError) {
        switch wire {
        case .string:
            try stream.bytes(&bytes, maxBytes: maxBytes)
        case .bits32:
            var v = UInt64(UInt32(truncatingIfNeeded: q))
            try stream.bits(&v, count: 32)
            q = Int64(v)
        case .gamma:
            var v = UInt64(UInt32(truncatingIfNeeded: q)) + 1
            try stream.gamma(&v)
            if stream.isReading {
                guard v - 1 <= UInt64(UInt32.max) else { throw ProtocolError(.outOfRange, "entity id \(v - 1) is above 2^32 - 1") }
                q = Int64(v - 1)
            }
        case .vec3:
            try stream.integer(&q, in: quantizer.lower...quantizer.upper)
            if stream.isReading, !quantizer.isValid(q) {
                throw ProtocolError(.outOfRange, "vec3 value \(q) has an axis above its last step (\(type))")
            }
        case .ranged:
            try stream.integer(&q, in: quantizer.lower...quantizer.upper)
        }
    }

    /// A changed value, `baseline` being the value the reader holds.
    @inline(__always)
    public func changed<S: BitStream>(_ q: inout Int64, from baseline: Int64, bytes: inout [UInt8], _ stream: inout S) throws(ProtocolError) {
        if isBool {
            if stream.isReading { q = baseline == 0 ? 1 : 0 }
            return
        }
        guard relative else { return try full(&q, bytes: &bytes, &stream) }
        // Mode (2 bits): 0 the full value; 1, 2, 3 the difference from the
        // baseline, zigzagged, in an Exp-Golomb code of order 0, w/3, 2w/3
        // (w: the full width). The writer picks the shortest.
        var mode: UInt64 = 0
        var zigzag: UInt64 = 0
        if !stream.isReading {
            let d = q - baseline
            zigzag = d > 0 ? UInt64(d) << 1 : (UInt64(-d) << 1) - 1
            var best = width
            for m in 1...3 {
                let k = order(m)
                let bits = Self.gammaBits((zigzag >> UInt64(k)) + 1) + k
                if bits < best { best = bits; mode = UInt64(m) }
            }
        }
        try stream.bits(&mode, count: 2)
        guard mode != 0 else { return try full(&q, bytes: &bytes, &stream) }
        let k = order(Int(mode))
        var high = (zigzag >> UInt64(k)) + 1
        var low = zigzag & ((1 << UInt64(k)) &- 1)
        try stream.gamma(&high)
        try stream.bits(&low, count: k)
        if stream.isReading {
            guard high - 1 <= UInt64(Int64.max) >> UInt64(k + 1) else { throw ProtocolError(.outOfRange, "delta out of range") }
            zigzag = ((high - 1) << UInt64(k)) | low
            let magnitude = Int64((zigzag + 1) >> 1)
            let d = zigzag & 1 == 0 ? magnitude : -magnitude
            let (value, overflow) = baseline.addingReportingOverflow(d)
            guard !overflow, value >= quantizer.lower, value <= quantizer.upper, d != 0 else {
                throw ProtocolError(.outOfRange, "a delta of \(d) from \(baseline) leaves the field's range")
            }
            q = value
        }
    }

    /// The Exp-Golomb order of relative mode `m` (1...3).
    @inline(__always)
    private func order(_ m: Int) -> Int { (m - 1) * width / 3 }

    /// Bits of `gamma(v)`.
    @inline(__always)
    static func gammaBits(_ v: UInt64) -> Int {
        2 * (63 - v.leadingZeroBitCount) + 1
    }
}
