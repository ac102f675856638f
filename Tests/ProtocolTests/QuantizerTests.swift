import Foundation
import Testing
@testable import Protocol

@Suite struct QuantizerTests {
    @Test func fixedRoundTripsEveryStep() {
        let q = FieldType.fixed(min: -2, max: 2, step: 0.25).quantizer
        for step in q.lower...q.upper { #expect(q.quantize(q.dequantize(step)) == step) }
    }

    // MARK: vec3

    static let vector = FieldType.vec3(x: .init(min: -10, max: 10, step: 0.5),
                                       y: .init(min: 0, max: 1, step: 0.1),
                                       z: .init(min: -3, max: 7, step: 1.0 / 3))

    @Test func vectorSizesAddUpPerAxis() {
        let type = Self.vector
        #expect(type.bitWidth == 6 + 4 + 5)            // 40, 10 and 30 steps
        #expect(type.range == 0...(1 << 15) - 1)
        #expect(!type.isNumeric)
        #expect(type.description == "vec3((-10.0, 10.0, 0.5), (0.0, 1.0, 0.1), (-3.0, 7.0, 0.3333333333333333))")
        let uniform = FieldType.vec3(x: .init(min: -1, max: 1, step: 0.5), y: .init(min: -1, max: 1, step: 0.5),
                                     z: .init(min: -1, max: 1, step: 0.5))
        #expect(uniform.description == "vec3(-1.0, 1.0, 0.5)")
        #expect(uniform.bitWidth == 9)
    }

    @Test func vectorRoundTripsEveryStepOfEveryAxis() {
        let q = Self.vector.quantizer
        for x: Int64 in 0...40 {
            for y: Int64 in 0...10 {
                for z: Int64 in 0...30 {
                    let packed = x | y << 6 | z << 10
                    let v = q.dequantizeVector(packed)
                    #expect(q.quantize(vector: v.x, y: v.y, z: v.z) == packed, "\(x) \(y) \(z)")
                    #expect(q.isValid(packed))
                    #expect(v.x >= -10 && v.x <= 10 && v.y >= 0 && v.y <= 1 && v.z >= -3 && v.z <= 7)
                }
            }
        }
        #expect(q.dequantizeVector(0) == (-10, 0, -3))
        #expect(q.dequantizeVector(40 | 10 << 6 | 30 << 10) == (10, 1, 7))
    }

    @Test func vectorAxesRoundToTheNearestStepAndClamp() {
        let q = Self.vector.quantizer
        #expect(q.quantize(vector: 0.26, y: 0.54, z: 0.1) == 21 | 5 << 6 | 9 << 10)
        #expect(q.quantize(vector: -100, y: -1, z: -.infinity) == 0)
        #expect(q.quantize(vector: 100, y: 2, z: .infinity) == 40 | 10 << 6 | 30 << 10)
        #expect(q.quantize(vector: .nan, y: .nan, z: .nan) == 0)           // NaN is each axis's min
        #expect(q.quantize(vector: 10, y: .nan, z: 7) == 40 | 30 << 10)
        #expect(q.quantize(0.5) == 0 && q.quantize(Int64(3)) == 0)          // not a number type
        var rng = SplitMix64(seed: 3)
        for _ in 0..<2000 {
            let (x, y, z) = (Double.random(in: -12...12, using: &rng), Double.random(in: -0.2...1.2, using: &rng),
                             Double.random(in: -4...8, using: &rng))
            let r = q.dequantizeVector(q.quantize(vector: x, y: y, z: z))
            #expect(abs(r.x - min(max(x, -10), 10)) <= 0.25 + 1e-9)
            #expect(abs(r.y - min(max(y, 0), 1)) <= 0.05 + 1e-9)
            #expect(abs(r.z - min(max(z, -3), 7)) <= 1.0 / 6 + 1e-9)
        }
    }

    /// 21 bits per axis is the widest vec3: its packed value fills 63 bits.
    @Test func vectorPacksUpTo63Bits() {
        let axis = FieldType.Axis(min: 0, max: Double((1 << 21) - 1), step: 1)
        let type = FieldType.vec3(x: axis, y: axis, z: axis)
        #expect(type.bitWidth == 63)
        #expect(type.range == 0...Int64.max)
        let q = type.quantizer
        let top = Double((1 << 21) - 1)
        #expect(q.quantize(vector: top, y: top, z: top) == Int64.max)
        #expect(q.dequantizeVector(Int64.max) == (top, top, top))
        #expect(q.quantize(vector: 1, y: 2, z: 3) == 1 | 2 << 21 | 3 << 42)
        #expect(q.dequantizeVector(1 | 2 << 21 | 3 << 42) == (1, 2, 3))
    }

    /// Only a step count within its axis is a value; the rest of the range
    /// is refused when read from the wire.
    @Test func vectorAxesAboveTheirStepsAreNotValues() {
        let q = Self.vector.quantizer
        #expect(!q.isValid(41))
        #expect(!q.isValid(11 << 6))
        #expect(!q.isValid(31 << 10))
        #expect(!q.isValid(-1) && !q.isValid(1 << 15))
        #expect(q.isValid(40 | 10 << 6 | 30 << 10))
    }

    // MARK: quat

    /// Random rotations: a uniform point on the 3-sphere (normalized Gaussian).
    static func randomUnitQuaternion(_ rng: inout SplitMix64) -> (Double, Double, Double, Double) {
        func gaussian() -> Double {
            let u = Double.random(in: Double.ulpOfOne...1, using: &rng), v = Double.random(in: 0..<1, using: &rng)
            return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
        }
        let (x, y, z, w) = (gaussian(), gaussian(), gaussian(), gaussian())
        let n = (x * x + y * y + z * z + w * w).squareRoot()
        return (x / n, y / n, z / n, w / n)
    }

    @Test func quaternionSizes() {
        #expect(FieldType.quat(bits: 10).bitWidth == 32)
        #expect(FieldType.quat(bits: 20).bitWidth == 62)
        #expect(FieldType.quat(bits: 6).range == 0...(1 << 20) - 1)
        #expect(FieldType.quat(bits: 10).description == "quat(10)")
        #expect(!FieldType.quat(bits: 10).isNumeric)
    }

    /// The three sent components are within half a step of the truth (a step
    /// is √2 / (2^bits - 1)); the rebuilt largest one, at least 1/2, moves
    /// by at most (|a| + |b| + |c|) / largest ≤ 3 half steps.
    @Test(arguments: [6, 8, 10, 12, 16, 20])
    func quaternionsRoundTripWithinTheResolution(bits: Int) {
        let q = FieldType.quat(bits: bits).quantizer
        let step = 2.0.squareRoot() / Double((1 << bits) - 1)
        var rng = SplitMix64(seed: UInt64(bits))
        var worstSent = 0.0, worstRebuilt = 0.0
        for _ in 0..<20_000 {
            let (x, y, z, w) = Self.randomUnitQuaternion(&rng)
            let stored = q.quantize(quaternion: x, y: y, z: z, w: w)
            #expect(FieldType.quat(bits: bits).range.contains(stored))
            let r = q.dequantizeQuaternion(stored)
            let original = [x, y, z, w], read = [r.x, r.y, r.z, r.w]
            let index = Int(stored & 3)
            let sign = original[index] < 0 ? -1.0 : 1.0       // q and -q are the same rotation
            #expect(read[index] >= 0)
            for i in 0..<4 {
                let error = abs(read[i] - sign * original[i])
                if i == index { worstRebuilt = max(worstRebuilt, error) } else { worstSent = max(worstSent, error) }
            }
            let norm = read.reduce(0) { $0 + $1 * $1 }
            #expect(abs(norm - 1) < 1e-9)
        }
        #expect(worstSent <= step / 2 * (1 + 1e-9), "\(worstSent) vs a step of \(step)")
        #expect(worstRebuilt <= 3 * step / 2 + step * step, "\(worstRebuilt) vs a step of \(step)")
    }

    @Test func quaternionSignDoesNotMatter() {
        let q = FieldType.quat(bits: 10).quantizer
        var rng = SplitMix64(seed: 9)
        for _ in 0..<5000 {
            let (x, y, z, w) = Self.randomUnitQuaternion(&rng)
            #expect(q.quantize(quaternion: x, y: y, z: z, w: w) == q.quantize(quaternion: -x, y: -y, z: -z, w: -w))
        }
    }

    @Test func quaternionIndexNamesTheLargestComponent() {
        let q = FieldType.quat(bits: 10).quantizer
        #expect(q.quantize(quaternion: 0.9, y: 0.1, z: 0.1, w: 0.1) & 3 == 0)
        #expect(q.quantize(quaternion: 0.1, y: -0.9, z: 0.1, w: 0.1) & 3 == 1)
        #expect(q.quantize(quaternion: 0.1, y: 0.1, z: 0.9, w: -0.1) & 3 == 2)
        #expect(q.quantize(quaternion: 0, y: 0, z: 0, w: -1) & 3 == 3)
        #expect(q.quantize(quaternion: 0.5, y: 0.5, z: -0.5, w: 0.5) & 3 == 0)   // ties: the first
        let r = q.dequantizeQuaternion(q.quantize(quaternion: 0.1, y: -0.9, z: 0.1, w: 0.1))
        #expect(r.y > 0 && r.x < 0 && r.z < 0 && r.w < 0)                        // negated as a whole
    }

    @Test func degenerateQuaternionsStoreTheIdentity() {
        let q = FieldType.quat(bits: 10).quantizer
        let identity = q.quantize(quaternion: 0, y: 0, z: 0, w: 1)
        let mid: Int64 = 512                          // 0 maps to (2^bits - 1) / 2, rounded up
        #expect(identity == 3 | mid << 2 | mid << 12 | mid << 22)
        for (x, y, z, w) in [(0.0, 0.0, 0.0, 0.0), (-0.0, 0, 0, 0), (.nan, 0, 0, 1), (0, .infinity, 0, 0),
                             (1, 1, -.infinity, 1), (.nan, .nan, .nan, .nan)] {
            #expect(q.quantize(quaternion: x, y: y, z: z, w: w) == identity, "\(x) \(y) \(z) \(w)")
        }
        let r = q.dequantizeQuaternion(identity)
        let halfStep = 2.0.squareRoot() / 1023 / 2
        #expect(r.x == r.y && r.y == r.z && r.z > 0 && r.z <= halfStep * (1 + 1e-9) && abs(r.w - 1) < 1e-5)
    }

    /// Inputs need not be unit length: scaling by a power of two is exact
    /// (short of subnormals), so it changes nothing, even near the ends of
    /// the doubles.
    @Test func quaternionsAreNormalizedFirst() {
        let q = FieldType.quat(bits: 12).quantizer
        var rng = SplitMix64(seed: 4)
        for _ in 0..<1000 {
            let (x, y, z, w) = Self.randomUnitQuaternion(&rng)
            let stored = q.quantize(quaternion: x, y: y, z: z, w: w)
            for scale in [0x1p-900, 0x1p-500, 0.25, 4, 0x1p500, 0x1p1000] {
                #expect(q.quantize(quaternion: x * scale, y: y * scale, z: z * scale, w: w * scale) == stored, "× \(scale)")
            }
        }
        #expect(q.quantize(quaternion: 1e308, y: 1e308, z: 1e308, w: 1e308) == q.quantize(quaternion: 0.5, y: 0.5, z: 0.5, w: 0.5))
        #expect(q.quantize(quaternion: 0, y: 0, z: 5e-324, w: 0) == q.quantize(quaternion: 0, y: 0, z: 1, w: 0))
    }

    /// Any integer of the width may arrive from the wire: each reads back
    /// finite, with the rebuilt component never negative.
    @Test func anyStoredQuaternionReadsBackFinite() {
        let q = FieldType.quat(bits: 6).quantizer
        var rng = SplitMix64(seed: 8)
        for _ in 0..<5000 {
            let stored = Int64(rng.next() & ((1 << 20) - 1))
            let r = q.dequantizeQuaternion(stored)
            let read = [r.x, r.y, r.z, r.w]
            #expect(read.allSatisfy { $0.isFinite && abs($0) <= 1 })
            #expect(read[Int(stored & 3)] >= 0)
        }
    }
}
