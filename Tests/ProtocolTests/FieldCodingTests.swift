import Testing
@testable import Protocol

@Suite struct FieldCodingTests {
    static let vectorTypes: [FieldType] = [
        QuantizerTests.vector,
        .vec3(x: .init(min: -1024, max: 1024, step: 1.0 / 32), y: .init(min: -1024, max: 1024, step: 1.0 / 32),
              z: .init(min: 0, max: 100, step: 0.01)),
        .vec3(x: .init(min: 0, max: 2_097_151, step: 1), y: .init(min: 0, max: 2_097_151, step: 1),
              z: .init(min: 0, max: 2_097_151, step: 1)),        // 63 bits
        .vec3(x: .init(min: 0, max: 1, step: 1), y: .init(min: 0, max: 1, step: 1), z: .init(min: 0, max: 1, step: 1)),
        .quat(bits: 6), .quat(bits: 10), .quat(bits: 20),
    ]

    /// Stored values of `type`: its edges and quantized random inputs.
    static func values(of type: FieldType, _ rng: inout SplitMix64) -> [Int64] {
        let q = type.quantizer
        var values: [Int64] = []
        switch type {
        case .vec3(let x, let y, let z):
            values = [0, q.quantize(vector: x.max, y: y.max, z: z.max), q.quantize(vector: x.max, y: y.min, z: z.max)]
            for _ in 0..<500 {
                values.append(q.quantize(vector: .random(in: x.min...x.max, using: &rng), y: .random(in: y.min...y.max, using: &rng),
                                         z: .random(in: z.min...z.max, using: &rng)))
            }
        default:
            values = [q.quantize(quaternion: 0, y: 0, z: 0, w: 1), q.upper, 0]
            for _ in 0..<500 {
                let (x, y, z, w) = QuantizerTests.randomUnitQuaternion(&rng)
                values.append(q.quantize(quaternion: x, y: y, z: z, w: w))
            }
        }
        return values
    }

    /// Every value is sent full at the type's width, and reads back as
    /// itself, also when values follow each other unaligned.
    @Test(arguments: vectorTypes)
    func vectorsAndQuaternionsRoundTripFull(type: FieldType) throws {
        let coding = FieldCoding(type)
        #expect(coding.relative)
        #expect(coding.width == type.bitWidth)
        var rng = SplitMix64(seed: UInt64(type.bitWidth))
        let values = Self.values(of: type, &rng)
        var writer = BitWriter()
        var counter = BitCounter()
        var noBytes: [UInt8] = []
        var flag = true
        for value in values {
            var q = value
            try writer.bool(&flag)                       // one bit between values, so none is byte-aligned
            try coding.full(&q, bytes: &noBytes, &writer)
            try coding.full(&q, bytes: &noBytes, &counter)
        }
        #expect(counter.bitCount == values.count * type.bitWidth)
        #expect(writer.bitCount == values.count * (type.bitWidth + 1))
        var reader = BitReader(writer.finish())
        for value in values {
            var bit = false
            try reader.bool(&bit)
            #expect(bit)
            var q: Int64 = 0
            try coding.full(&q, bytes: &noBytes, &reader)
            #expect(q == value)
        }
        try reader.expectEnd()
    }

    /// Changed vectors and quaternions read back as themselves in every
    /// mode the writer picks: random jumps (full), small moves (from the
    /// baseline), and steady motion with and without tick gaps (from the
    /// prediction), the mode memory carried from value to value as in a
    /// message.
    @Test(arguments: vectorTypes)
    func changedVectorsAndQuaternionsRoundTrip(type: FieldType) throws {
        let coding = FieldCoding(type)
        let parts = coding.components
        var rng = SplitMix64(seed: UInt64(type.bitWidth) &+ 99)
        var cases: [(value: Int64, baseline: Int64, reference: PredictionReference)] = []
        let random = Self.values(of: type, &rng)
        for i in 1..<random.count {
            let prior = random[(i + 7) % random.count]
            let (value, baseline) = (random[i], random[i - 1])
            if value != baseline { cases.append((value, baseline, .none)) }
            // Steady motion: prior → baseline → value, one step a tick, or
            // with gaps (ahead ticks after the baseline, behind before).
            let ahead = rng.int(1...4), behind = rng.int(1...4)
            var velocity = SIMD3<Int64>()
            for c in 0..<parts.count { velocity[c] = Int64(rng.int(-3...3)) }
            let b = parts.split(baseline)
            var p = b, v = b
            for c in 0..<parts.count {
                p[c] = min(max(b[c] - velocity[c] * Int64(behind), parts.lower(c)), parts.upper(c))
                v[c] = min(max(b[c] + velocity[c] * Int64(ahead) + Int64(rng.int(-1...1)), parts.lower(c)), parts.upper(c))
            }
            let moved = parts.join(v, frame: baseline)
            if moved != baseline {
                cases.append((moved, baseline, PredictionReference(prior: parts.join(p, frame: baseline), gaps: PredictionGaps(ahead: ahead, behind: behind))))
                cases.append((moved, baseline, PredictionReference(prior: prior, gaps: PredictionGaps(ahead: ahead, behind: behind))))
            }
        }
        var writer = BitWriter()
        var noBytes: [UInt8] = []
        var mode = FieldCoding.firstMode
        var used = Set<UInt8>()
        for c in cases {
            var q = c.value
            try coding.changed(&q, from: c.baseline, reference: c.reference, mode: &mode, bytes: &noBytes, &writer)
            used.insert(mode)
        }
        var reader = BitReader(writer.finish())
        mode = FieldCoding.firstMode
        for c in cases {
            var q: Int64 = 0
            try coding.changed(&q, from: c.baseline, reference: c.reference, mode: &mode, bytes: &noBytes, &reader)
            #expect(q == c.value)
        }
        try reader.align()
        try reader.expectEnd()
        #expect(used.contains(0), "random jumps go full")
        if type.bitWidth > 6 {   // narrower values always go full
            #expect(used.contains { (1...3).contains($0) } && used.contains { (4...6).contains($0) }, "\(type): modes \(used.sorted())")
        }
    }

    /// A vec3 moving steadily costs one bit for its repeated mode and one
    /// per axis; a quat spinning steadily under the same largest component,
    /// the same; a changed value equal to the baseline is refused.
    @Test func steadyMotionCostsABitPerComponent() throws {
        let position = FieldCoding(.vec3(x: .init(min: -256, max: 256 - 1.0 / 512, step: 1.0 / 512),
                                         y: .init(min: -256, max: 256 - 1.0 / 512, step: 1.0 / 512),
                                         z: .init(min: 0, max: 32 - 1.0 / 512, step: 1.0 / 512)))
        let parts = position.components
        var mode: UInt8 = 4
        var counter = BitCounter()
        var noBytes: [UInt8] = []
        let prior = parts.join([1000, 2000, 300], frame: 0), baseline = parts.join([1010, 1995, 301], frame: 0)
        var q = parts.join([1020, 1990, 302], frame: 0)
        try position.changed(&q, from: baseline, reference: PredictionReference(prior: prior, gaps: PredictionGaps(ahead: 1, behind: 1)),
                             mode: &mode, bytes: &noBytes, &counter)
        #expect(counter.bitCount == 4)
        #expect(mode == 4)

        let rotation = FieldCoding(.quat(bits: 9))
        let r = rotation.components
        counter = BitCounter()
        let spinPrior = r.join([200, 300, 100], frame: 3), spinBase = r.join([203, 299, 102], frame: 3)
        q = r.join([206, 298, 104], frame: 3)
        try rotation.changed(&q, from: spinBase, reference: PredictionReference(prior: spinPrior, gaps: PredictionGaps(ahead: 1, behind: 1)),
                             mode: &mode, bytes: &noBytes, &counter)
        #expect(counter.bitCount == 4)
        // Another largest component: the whole value.
        counter = BitCounter()
        q = r.join([206, 298, 104], frame: 2)
        try rotation.changed(&q, from: spinBase, reference: .none, mode: &mode, bytes: &noBytes, &counter)
        #expect(mode == 0)
        #expect(counter.bitCount == 4 + 29)

        // Hand-written: mode 4 with every residual 0 and no prediction
        // state gives back the baseline, which a changed value cannot be.
        var w = BitWriter()
        w.write(0, count: 1); w.write(4, count: 3)
        for _ in 0..<3 { w.writeGamma(1) }
        var reader = BitReader(w.finish())
        var m = FieldCoding.firstMode
        var out: Int64 = 0
        let error = try #require(throws: ProtocolError.self) {
            try position.changed(&out, from: baseline, reference: .none, mode: &m, bytes: &noBytes, &reader)
        }
        #expect(error.code == .outOfRange)
        // Mode 7 is not defined.
        w = BitWriter()
        w.write(0, count: 1); w.write(7, count: 3)
        reader = BitReader(w.finish())
        m = FieldCoding.firstMode
        #expect(throws: ProtocolError.self) { try position.changed(&out, from: baseline, reference: .none, mode: &m, bytes: &noBytes, &reader) }
    }

    @Test func vectorAxesAboveTheirStepsAreRefused() throws {
        let coding = FieldCoding(QuantizerTests.vector)      // 40, 10 and 30 steps in 6, 4 and 5 bits
        var noBytes: [UInt8] = []
        for bad: UInt64 in [41, 63, 11 << 6, 31 << 10, (1 << 15) - 1] {
            var writer = BitWriter()
            writer.write(bad, count: 15)
            var reader = BitReader(writer.finish())
            var q: Int64 = 0
            let error = try #require(throws: ProtocolError.self) { try coding.full(&q, bytes: &noBytes, &reader) }
            #expect(error.code == .outOfRange)
        }
    }
}
