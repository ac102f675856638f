/// How one field value travels (docs/protocol.md, "Snapshot"): written once,
/// generic over a `BitStream` that writes, reads or measures.
///
///     full value      q at the type's width; strings: int(0...max) length, bytes;
///                     entity: gamma(id + 1);
///                     vec3: x | y << bx | z << (bx + by), each axis 0...steps;
///                     quat: index | a << 2 | b << (2 + bits) | c << (2 + 2 bits)
///     changed value   bool: no bits (it flipped)
///                     integer, fixed, angle, vec3, quat: bool same mode
///                       [else 3-bit mode]; 0: full value; 1...3: per component
///                       Exp-Golomb(zigzag(q - baseline)); 4...6: the same from
///                       the prediction (`ValueComponents`)
///                     string, entity, f32: full value
public struct FieldCoding: Sendable {
    public let quantizer: Quantizer
    /// Bits of a full value (strings: of their length prefix).
    public let width: Int
    /// Changed values may be coded relative to the baseline.
    public let relative: Bool
    /// What relative codes are made of.
    let components: ValueComponents
    public let isString: Bool
    let isBool: Bool
    /// How a full value is written. Every stored property is a plain value
    /// (no `FieldType`, whose entity case holds a string), so the hot loops
    /// copy a coding without reference counting.
    let wire: Wire
    public let maxBytes: Int

    /// The mode a field's first changed value in a message is compared with:
    /// from the baseline, order 0.
    public static let firstMode: UInt8 = 1

    enum Wire { case ranged, bits32, gamma, string, vec3 }

    public init(_ type: FieldType) {
        quantizer = type.quantizer
        width = type.bitWidth
        var maxBytes = 0
        switch type {
        case .integer, .fixed, .angle, .vec3, .quat: relative = true
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
        components = ValueComponents(quantizer, width: width)
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
                throw ProtocolError(.outOfRange, "vec3 value \(q) has an axis above its last step (steps \(quantizer.stepsX), \(quantizer.stepsY), \(quantizer.stepsZ))")
            }
        case .ranged:
            try stream.integer(&q, in: quantizer.lower...quantizer.upper)
        }
    }

    /// A changed value, `baseline` being the value the reader holds and
    /// `reference` what it may be predicted from (docs/protocol.md,
    /// "Changed values").
    ///
    /// Bools carry no bits (they flipped); strings, entity ids and `f32` go
    /// full. The other types (integer, fixed, angle, vec3, quat) start with
    /// one bit, set when their mode is `mode` (the last mode of this field in
    /// the message), else a 3-bit mode: 0 the full value; 1...3 each
    /// component's difference from the baseline, 4...6 from the prediction,
    /// zigzagged in an Exp-Golomb code of order 0, ⌊w/3⌋, ⌊2w/3⌋ (w: the
    /// component's width). The writer picks the mode of fewest bits, counting
    /// the bit a repeated mode saves. `mode` is updated to the mode used.
    @inline(__always)
    public func changed<S: BitStream>(_ q: inout Int64, from baseline: Int64, reference: PredictionReference, mode: inout UInt8,
                                      bytes: inout [UInt8], _ stream: inout S) throws(ProtocolError) {
        if isBool {
            if stream.isReading { q = baseline == 0 ? 1 : 0 }
            return
        }
        guard relative else { return try full(&q, bytes: &bytes, &stream) }
        if quantizer.kind != .vec3, quantizer.kind != .quat { return try changedScalar(&q, from: baseline, reference: reference, mode: &mode, &stream) }
        let parts = components
        let base = parts.split(baseline)
        // A quat's components are relative only under the same largest component.
        let predicted = parts.predict(base, baseline: baseline, reference)
        var chosen = UInt64(mode)
        var value = SIMD3<Int64>()
        if !stream.isReading {
            value = parts.split(q)
            chosen = UInt64(choose(parts, value, base, predicted, relativeAllowed: parts.sameFrame(q, baseline), last: mode))
        }
        try Self.serializeMode(&chosen, memory: &mode, &stream)
        if chosen == 0 {
            try full(&q, bytes: &bytes, &stream)
        } else {
            let ref = chosen <= 3 ? base : predicted
            let order = (Int(chosen) - 1) % 3
            let orders = order == 0 ? parts.orders.0 : order == 1 ? parts.orders.1 : parts.orders.2
            for c in 0..<parts.count {
                let k = Int(orders[c])
                var zigzag: UInt64 = 0
                if !stream.isReading {
                    let d = value[c] - ref[c]
                    zigzag = d >= 0 ? UInt64(d) << 1 : (UInt64(-d) << 1) - 1
                }
                try stream.expGolomb(&zigzag, order: k)
                if stream.isReading {
                    let magnitude = Int64((zigzag + 1) >> 1)
                    let d = zigzag & 1 == 0 ? magnitude : -magnitude
                    let (v, overflow) = ref[c].addingReportingOverflow(d)
                    guard !overflow, v >= parts.lower(c), v <= parts.upper(c) else {
                        throw ProtocolError(.outOfRange, "a delta of \(d) from \(ref[c]) leaves the range \(parts.lower(c))...\(parts.upper(c))")
                    }
                    value[c] = v
                }
            }
            if stream.isReading { q = parts.join(value, frame: baseline) }
        }
        if stream.isReading, q == baseline {
            throw ProtocolError(.outOfRange, "a changed value is the baseline's")
        }
    }

    /// `changed` for a number (integer, fixed, angle): the same coding with
    /// one component, without the vector arithmetic, since most changed
    /// values are numbers.
    @inline(__always)
    private func changedScalar<S: BitStream>(_ q: inout Int64, from baseline: Int64, reference: PredictionReference, mode: inout UInt8,
                                             _ stream: inout S) throws(ProtocolError) {
        let lower = quantizer.lower, upper = quantizer.upper
        var predicted = baseline
        let gaps = reference.gaps
        if gaps.behind > 0 {
            let change = baseline - reference.prior
            let step = gaps.ahead == gaps.behind ? change : change * gaps.ahead / gaps.behind
            predicted = min(max(baseline + step, lower), upper)
        }
        var chosen = UInt64(mode)
        if !stream.isReading {
            // The mode of fewest bits, its mode bits included (1 when it
            // repeats the memory, else 4); ties keep the lower mode.
            let last = UInt64(mode)
            var bestBits = width + (last == 0 ? 1 : 4)
            chosen = 0
            let k1 = width / 3, k2 = 2 * width / 3
            for from: UInt64 in 0...1 {
                if from == 1, predicted == baseline, last < 4 { break }   // the same bits, and more mode bits
                let d = q - (from == 0 ? baseline : predicted)
                let z = d >= 0 ? UInt64(d) << 1 : (UInt64(-d) << 1) - 1
                for order in 0..<3 {
                    let k = order == 0 ? 0 : order == 1 ? k1 : k2
                    let m = from * 3 + 1 + UInt64(order)
                    let total = Self.gammaBits((z >> UInt64(k)) + 1) + k + (m == last ? 1 : 4)
                    if total < bestBits { bestBits = total; chosen = m }
                }
            }
        }
        try Self.serializeMode(&chosen, memory: &mode, &stream)
        if chosen == 0 {
            try stream.integer(&q, in: lower...upper)
        } else {
            let ref = chosen <= 3 ? baseline : predicted
            let k = (Int(chosen - 1) % 3) * width / 3
            var zigzag: UInt64 = 0
            if !stream.isReading {
                let d = q - ref
                zigzag = d >= 0 ? UInt64(d) << 1 : (UInt64(-d) << 1) - 1
            }
            try stream.expGolomb(&zigzag, order: k)
            if stream.isReading {
                let magnitude = Int64((zigzag + 1) >> 1)
                let d = zigzag & 1 == 0 ? magnitude : -magnitude
                let (v, overflow) = ref.addingReportingOverflow(d)
                guard !overflow, v >= lower, v <= upper else {
                    throw ProtocolError(.outOfRange, "a delta of \(d) from \(ref) leaves the range \(lower)...\(upper)")
                }
                q = v
            }
        }
        if stream.isReading, q == baseline {
            throw ProtocolError(.outOfRange, "a changed value is the baseline's")
        }
    }

    /// The mode of fewest bits for a vector or quaternion `value` (its mode
    /// bits included: 1 when it repeats `last`, else 4). Ties keep the
    /// lower mode.
    @inline(__always)
    private func choose(_ parts: ValueComponents, _ value: SIMD3<Int64>, _ base: SIMD3<Int64>, _ predicted: SIMD3<Int64>,
                        relativeAllowed: Bool, last: UInt8) -> UInt8 {
        var best: UInt8 = 0
        var bestBits = width + (last == 0 ? 1 : 4)
        guard relativeAllowed else { return best }
        let fromBase = parts.codeBits(value, from: base)
        let fromPrediction = predicted == base ? fromBase : parts.codeBits(value, from: predicted)
        func consider(_ mode: UInt8, _ bits: Int) {
            let total = bits + (mode == last ? 1 : 4)
            if total < bestBits { bestBits = total; best = mode }
        }
        consider(1, fromBase.0); consider(2, fromBase.1); consider(3, fromBase.2)
        consider(4, fromPrediction.0); consider(5, fromPrediction.1); consider(6, fromPrediction.2)
        return best
    }

    /// A changed value's mode: one bit when it is the field's `memory`,
    /// else a zero bit and the 3-bit mode (7 is refused); the memory becomes
    /// the mode used.
    @inline(__always)
    private static func serializeMode<S: BitStream>(_ chosen: inout UInt64, memory: inout UInt8, _ stream: inout S) throws(ProtocolError) {
        var same = chosen == UInt64(memory)
        try stream.bool(&same)
        if same { chosen = UInt64(memory) } else { try stream.bits(&chosen, count: 3) }
        guard chosen != 7 else { throw ProtocolError(.outOfRange, "changed value mode 7 is not defined") }
        memory = UInt8(chosen)
    }

    /// Bits of `gamma(v)`.
    @inline(__always)
    static func gammaBits(_ v: UInt64) -> Int {
        2 * (63 - v.leadingZeroBitCount) + 1
    }
}
