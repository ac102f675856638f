import Testing
import TestSupport
@testable import Engine
import Lua

/// The server quantizes in C as it reads Lua; clients quantize and
/// dequantize in Swift. Both must give the same integers for every type.
@Suite struct QuantizerAgreementTests {
    static let types: [FieldType] = [
        .bool, .integer(bits: 8, signed: false), .integer(bits: 8, signed: true), .integer(bits: 16, signed: true),
        .integer(bits: 32, signed: false), .integer(bits: 32, signed: true), .f32,
        .fixed(min: -1024, max: 1024, step: 1.0 / 32), .fixed(min: 0, max: 1, step: 0.1), .fixed(min: -3, max: 7.5, step: 0.4),
        .angle(bits: 2), .angle(bits: 10), .angle(bits: 16), .entity(kind: nil),
    ]

    @Test(arguments: types)
    func cAndSwiftAgree(type: FieldType) {
        let swift = type.quantizer
        let c = type.luaQuantizer
        #expect(swift.lower == c.lower && swift.upper == c.upper)
        var rng = SplitMix64(seed: 11)
        var samples: [Double] = [0, -0.0, 0.5, -0.5, 1.5, -1.5, 2.5, .nan, .infinity, -.infinity, 1e300, -1e300,
                                 Double(Int32.max), Double(UInt32.max) + 1, -2 * .pi, 2 * .pi, .pi]
        for _ in 0..<5000 {
            let scale = [1.0, 10, 1000, 1e6, 1e10][Int(rng.next() % 5)]
            samples.append((Double(rng.next() % 2_000_001) / 1_000_000 - 1) * scale)
        }
        for v in samples {
            let q = swift.quantize(v)
            #expect(q == c.quantize(v), "\(type) \(v)")
            #expect(swift.dequantize(q) == c.dequantize(q) || (swift.dequantize(q).isNaN && c.dequantize(q).isNaN), "\(type) \(q)")
        }
        for i: Int64 in [Int64.min, -1 << 40, -129, -1, 0, 1, 127, 255, 65_536, 1 << 40, Int64.max] {
            #expect(swift.quantize(i) == c.quantize(i), "\(type) \(i)")
        }
    }
}
