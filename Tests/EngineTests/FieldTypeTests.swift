import Testing
import TestSupport
@testable import Engine

/// `quantize` / `dequantize` decide what every client and every rule reads
/// back, so each type is checked at its edges and over ranges of values.
@Suite struct FieldTypeTests {
    static let integerTypes: [(FieldType, ClosedRange<Int64>)] = [
        (.integer(bits: 8, signed: false), 0...255),
        (.integer(bits: 8, signed: true), -128...127),
        (.integer(bits: 16, signed: false), 0...65535),
        (.integer(bits: 16, signed: true), -32768...32767),
        (.integer(bits: 32, signed: false), 0...4_294_967_295),
        (.integer(bits: 32, signed: true), -2_147_483_648...2_147_483_647),
    ]

    // MARK: Integers

    @Test(arguments: integerTypes)
    func integersClampAtBothEnds(type: FieldType, range: ClosedRange<Int64>) {
        #expect(type.range == range)
        let (low, high) = (range.lowerBound, range.upperBound)
        #expect(type.quantize(low) == low)
        #expect(type.quantize(high) == high)
        #expect(type.quantize(low - 1) == low)
        #expect(type.quantize(high + 1) == high)
        #expect(type.quantize(Int64.min) == low)
        #expect(type.quantize(Int64.max) == high)
        #expect(type.quantize(Double(low) - 0.6) == low)
        #expect(type.quantize(Double(high) + 0.6) == high)
        #expect(type.quantize(-Double.infinity) == low)
        #expect(type.quantize(Double.infinity) == high)
        #expect(type.quantize(1e300) == high)
        #expect(type.dequantize(high) == Double(high))
        #expect(type.dequantize(low) == Double(low))
    }

    @Test(arguments: integerTypes)
    func integersRoundFloatsToTheNearest(type: FieldType, range: ClosedRange<Int64>) {
        #expect(type.quantize(2.4) == 2)
        #expect(type.quantize(2.6) == 3)
        #expect(type.quantize(100.5) == 101)      // halves round away from zero
        if range.lowerBound < 0 {
            #expect(type.quantize(-2.4) == -2)
            #expect(type.quantize(-2.6) == -3)
        } else {
            #expect(type.quantize(-0.4) == 0)
            #expect(type.quantize(-2.6) == 0)
        }
    }

    @Test(arguments: integerTypes.map(\.0))
    func notANumberStoresZero(type: FieldType) {
        #expect(type.quantize(Double.nan) == 0)
    }

    // MARK: Fixed

    @Test(arguments: [
        FieldType.fixed(min: -1024, max: 1024, step: 1.0 / 32),
        .fixed(min: -100, max: 100, step: 0.5),
        .fixed(min: -1, max: 1, step: 0.1),
        .fixed(min: 0, max: 100, step: 0.01),
        .fixed(min: -3, max: 7, step: 1.0 / 3),
    ])
    func fixedRoundTripsEveryStep(type: FieldType) {
        for q in type.range {
            #expect(type.quantize(type.dequantize(q)) == q, "q = \(q) of \(type)")
        }
    }

    @Test func fixedIsExactForBinarySteps() {
        let type = FieldType.fixed(min: -1024, max: 1024, step: 1.0 / 32)
        #expect(type.range == 0...65536)
        #expect(type.quantize(-1024.0) == 0)
        #expect(type.quantize(1024.0) == 65536)
        #expect(type.dequantize(32768) == 0)
        #expect(type.dequantize(32769) == 1.0 / 32)
        #expect(type.quantize(3.25) == 32768 + 104)
        #expect(type.dequantize(type.quantize(3.25)) == 3.25)
        #expect(type.dequantize(type.quantize(-3.25)) == -3.25)   // symmetric about zero
    }

    @Test(arguments: [
        FieldType.fixed(min: -100, max: 100, step: 0.5),
        .fixed(min: -1024, max: 1024, step: 1.0 / 16),
        .fixed(min: 0, max: 10, step: 0.1),
    ])
    func fixedRoundsToTheNearestStepWithinMinAndMax(type: FieldType) throws {
        guard case .fixed(let min, let max, let step) = type else { return }
        var rng = SplitMix64(seed: 11)
        for _ in 0..<5000 {
            let v = Double.random(in: (min - 50)...(max + 50), using: &rng)
            let read = type.dequantize(type.quantize(v))
            let expected = Swift.min(Swift.max(v, min), max)
            #expect(abs(read - expected) <= step / 2 + 1e-9, "\(v) read back as \(read)")
            #expect(read >= min && read <= max)
        }
        #expect(type.quantize(Double.nan) == 0)
        #expect(type.dequantize(type.quantize(-Double.infinity)) == min)
        #expect(type.dequantize(type.quantize(Double.infinity)) == max)
    }

    /// The schema accepts a step that does not divide the range; the top step
    /// must still not hand readers a value above the declared `max`.
    @Test
    func fixedNeverReadsAboveMaxWhenTheStepDoesNotDivideTheRange() {
        let type = FieldType.fixed(min: 0, max: 1, step: 0.4)
        #expect(type.dequantize(type.quantize(1.0)) <= 1)
        #expect(type.dequantize(type.range.upperBound) <= 1)
    }

    // MARK: Angle

    @Test(arguments: [2, 10, 12, 16])
    func angleRoundTripsEveryStepAndWrapsWholeTurns(bits: Int) {
        let type = FieldType.angle(bits: bits)
        let count = Int64(1) << bits
        #expect(type.range == 0...(count - 1))
        for q in 0..<count {
            let a = type.dequantize(q)
            #expect(a >= 0 && a < 2 * .pi)
            for turns in [-3.0, -1, 0, 1, 5] {
                #expect(type.quantize(a + turns * 2 * .pi) == q, "q = \(q), \(turns) turns")
            }
        }
    }

    @Test func angleWrapsNegativesAndFullTurns() {
        let type = FieldType.angle(bits: 10)
        #expect(type.quantize(2 * Double.pi) == 0)
        #expect(type.quantize(-2 * Double.pi) == 0)
        #expect(type.quantize(0.0) == 0)
        #expect(type.quantize(-Double.pi / 2) == 768)
        #expect(type.quantize(5 * Double.pi / 2) == 256)
        #expect(type.quantize(Double.pi) == 512)
        #expect(type.quantize(2 * Double.pi - 1e-9) == 0)       // rounds up into the next turn
        #expect(type.quantize(Double.nan) == 0)
        #expect(type.quantize(Double.infinity) == 0)
        #expect(type.quantize(Int64(-7)) == type.quantize(-7.0))
    }

    // MARK: f32

    @Test func f32RoundTripsFloatsExactly() {
        var values: [Float] = [0, -0.0, 1, -1, 0.1, .pi, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
                               .leastNonzeroMagnitude, .leastNormalMagnitude, .infinity, -.infinity]
        var rng = SplitMix64(seed: 5)
        for _ in 0..<5000 {
            let f = Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()))
            if !f.isNaN { values.append(f) }
        }
        let type = FieldType.f32
        for f in values {
            let q = type.quantize(Double(f))
            #expect(type.range.contains(q))
            let read = type.dequantize(q)
            #expect(read == Double(f) && read.sign == f.sign, "\(f) read back as \(read)")
        }
    }

    @Test func f32RoundsDoublesToTheNearestFloat() {
        let type = FieldType.f32
        #expect(type.dequantize(type.quantize(0.1)) == Double(Float(0.1)))
        #expect(type.dequantize(type.quantize(1e300)) == .infinity)
        #expect(type.dequantize(type.quantize(Int64(16_777_217))) == 16_777_216)
    }

    // MARK: Sizes and strings

    @Test func bitWidthsCoverTheStoredRange() {
        #expect(FieldType.integer(bits: 8, signed: false).bitWidth == 8)
        #expect(FieldType.integer(bits: 16, signed: true).bitWidth == 16)
        #expect(FieldType.angle(bits: 10).bitWidth == 10)
        #expect(FieldType.bool.bitWidth == 1)
        #expect(FieldType.f32.bitWidth == 32)
        #expect(FieldType.entity(kind: nil).bitWidth == 32)
        #expect(FieldType.string(maxBytes: 16).bitWidth == 5)    // lengths 0...16
        // 0...65535 steps: 16 bits. Including max itself (65536) takes a 17th.
        #expect(FieldType.fixed(min: -1024, max: 1024 - 1.0 / 32, step: 1.0 / 32).bitWidth == 16)
        #expect(FieldType.fixed(min: -1024, max: 1024, step: 1.0 / 32).bitWidth == 17)
        #expect(FieldType.fixed(min: 0, max: 4_294_967_295, step: 1).bitWidth == 32)
        let types: [FieldType] = Self.integerTypes.map(\.0) + [
            .bool, .angle(bits: 2), .angle(bits: 16), .fixed(min: -100, max: 100, step: 0.5),
            .fixed(min: 0, max: 1, step: 0.3), .string(maxBytes: 4096),
        ]
        for type in types {
            let r = type.range
            let span = UInt64(bitPattern: r.upperBound &- r.lowerBound)
            #expect(span < UInt64(1) << type.bitWidth, "\(type) needs more than \(type.bitWidth) bits")
        }
    }

    @Test func truncationNeverSplitsAUTF8Sequence() throws {
        let text = "aé€😀b日本"     // 1, 2, 3, 4, 1, 3 and 3 bytes
        let bytes = Array(text.utf8)
        for maxBytes in 0...bytes.count + 2 {
            let cut = bytes.withUnsafeBytes { FieldType.truncate($0, maxBytes: maxBytes) }
            #expect(cut.count <= maxBytes)
            let decoded = try #require(String(validating: Array(cut), as: UTF8.self), "cut at \(maxBytes)")
            #expect(text.hasPrefix(decoded))
            var expected: [UInt8] = []     // the longest whole-character prefix that fits
            for scalar in text.unicodeScalars {
                let next = Array(String(scalar).utf8)
                guard expected.count + next.count <= maxBytes else { break }
                expected += next
            }
            #expect(Array(cut) == expected)
        }
    }

    @Test func truncationKeepsShortStringsAndSurvivesBrokenUTF8() {
        let short = Array("hi".utf8)
        #expect(short.withUnsafeBytes { Array(FieldType.truncate($0, maxBytes: 2)) } == short)
        let broken: [UInt8] = [0x80, 0x80, 0x80, 0x80]
        #expect(broken.withUnsafeBytes { FieldType.truncate($0, maxBytes: 2) }.isEmpty)
    }
}
