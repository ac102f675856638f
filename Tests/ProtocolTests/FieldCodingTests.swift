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

    /// Every value is sent full, at the type's width, whether new or changed,
    /// and reads back as itself, also when values follow each other unaligned.
    @Test(arguments: vectorTypes)
    func vectorsAndQuaternionsRoundTripFull(type: FieldType) throws {
        let coding = FieldCoding(type)
        #expect(!coding.relative)
        #expect(coding.width == type.bitWidth)
        var rng = SplitMix64(seed: UInt64(type.bitWidth))
        let values = Self.values(of: type, &rng)
        var writer = BitWriter()
        var counter = BitCounter()
        var noBytes: [UInt8] = []
        var flag = true
        for (i, value) in values.enumerated() {
            var q = value
            try writer.bool(&flag)                       // one bit between values, so none is byte-aligned
            if i.isMultiple(of: 2) {
                try coding.full(&q, bytes: &noBytes, &writer)
                try coding.full(&q, bytes: &noBytes, &counter)
            } else {
                try coding.changed(&q, from: values[i - 1], bytes: &noBytes, &writer)
                try coding.changed(&q, from: values[i - 1], bytes: &noBytes, &counter)
            }
        }
        #expect(counter.bitCount == values.count * type.bitWidth)
        #expect(writer.bitCount == values.count * (type.bitWidth + 1))
        var reader = BitReader(writer.finish())
        for (i, value) in values.enumerated() {
            var bit = false
            try reader.bool(&bit)
            #expect(bit)
            var q: Int64 = 0
            if i.isMultiple(of: 2) {
                try coding.full(&q, bytes: &noBytes, &reader)
            } else {
                try coding.changed(&q, from: values[i - 1], bytes: &noBytes, &reader)
            }
            #expect(q == value)
        }
        try reader.expectEnd()
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
