/// The arithmetic of a `FieldType`: how a value becomes the integer a
/// snapshot stores and the wire carries, and back. A plain value with no
/// reference-counted payload, so hot loops copy it for free.
///
/// The server's snapshot reader does the same arithmetic in C
/// (`tw_quantize_number`, `tw_quantize_vec3` and `tw_quantize_quat` in the
/// CLua shim); a test checks that both agree.
public struct Quantizer: Sendable, Equatable {
    public enum Kind: UInt8, Sendable {
        case bool, integer, f32, fixed, angle, string, entity, vec3, quat
    }

    public let kind: Kind
    /// Range of the stored integer.
    public let lower: Int64
    public let upper: Int64
    /// `fixed`, and the x axis of `vec3`: value of step 0, and step size.
    let min: Double
    let step: Double
    /// `angle`: steps per turn.
    let turn: Int64
    /// `vec3`: the y and z axes, the top step of each axis, and where y and
    /// z sit in the packed value. Scalars, not `Axis` values, so the
    /// quantizer stays a flat copy.
    let minY, stepY, minZ, stepZ: Double
    let stepsX, stepsY, stepsZ: Int64
    let shiftY, shiftZ: Int
    /// `quat`: bits per component.
    let bits: Int

    /// 1/√2: no component but the largest of a unit quaternion is larger in
    /// magnitude, so the other three are sent in `[-1/√2, 1/√2]`.
    static let quaternionHalfRange = 0.70710678118654752440

    public init(_ type: FieldType) {
        var min = 0.0, step = 1.0, turn: Int64 = 1
        var minY = 0.0, stepY = 1.0, minZ = 0.0, stepZ = 1.0
        var stepsX: Int64 = 0, stepsY: Int64 = 0, stepsZ: Int64 = 0
        var shiftY = 0, shiftZ = 0, bits = 0
        switch type {
        case .bool:
            kind = .bool; lower = 0; upper = 1
        case .integer(let bits, let signed):
            kind = .integer
            lower = signed ? -(Int64(1) << (bits - 1)) : 0
            upper = signed ? (Int64(1) << (bits - 1)) - 1 : (Int64(1) << bits) - 1
        case .f32:
            kind = .f32; lower = 0; upper = Int64(UInt32.max)
        case .fixed(let lo, let hi, let s):
            kind = .fixed; lower = 0; upper = FieldType.steps(min: lo, max: hi, step: s)
            min = lo; step = s
        case .angle(let bits):
            kind = .angle; lower = 0; turn = Int64(1) << bits; upper = turn - 1
        case .string(let maxBytes):
            kind = .string; lower = 0; upper = Int64(maxBytes)
        case .entity:
            kind = .entity; lower = 0; upper = Int64(UInt32.max)
        case .vec3(let x, let y, let z):
            kind = .vec3; lower = 0; upper = Self.allOnes(type.bitWidth)
            (min, step, stepsX) = (x.min, x.step, x.steps)
            (minY, stepY, stepsY) = (y.min, y.step, y.steps)
            (minZ, stepZ, stepsZ) = (z.min, z.step, z.steps)
            shiftY = x.bits
            shiftZ = x.bits + y.bits
        case .quat(let b):
            kind = .quat; lower = 0; upper = Self.allOnes(type.bitWidth)
            bits = b
        }
        self.min = min
        self.step = step
        self.turn = turn
        (self.minY, self.stepY, self.minZ, self.stepZ) = (minY, stepY, minZ, stepZ)
        (self.stepsX, self.stepsY, self.stepsZ) = (stepsX, stepsY, stepsZ)
        (self.shiftY, self.shiftZ, self.bits) = (shiftY, shiftZ, bits)
    }

    /// `2^width - 1`, for widths up to 63.
    private static func allOnes(_ width: Int) -> Int64 { Int64.max >> (63 - width) }

    /// The stored integer for a Lua number: clamped to the range, NaN as 0
    /// (fixed: as `min`), angles wrapped into one turn. Vectors and
    /// quaternions are not numbers: 0 (see `quantize(vector:)` and
    /// `quantize(quaternion:)`).
    @inline(__always)
    public func quantize(_ value: Double) -> Int64 {
        switch kind {
        case .bool:
            return value != 0 ? 1 : 0
        case .integer, .entity:
            guard !value.isNaN else { return 0 }
            return clamp(value.rounded())
        case .f32:
            return Int64(Float(value).bitPattern)
        case .fixed:
            guard !value.isNaN else { return 0 }
            return clamp(((value - min) / step).rounded())
        case .angle:
            guard value.isFinite else { return 0 }
            let turns = value / (2 * Double.pi)
            let fraction = turns - turns.rounded(.down)
            return Int64((fraction * Double(turn)).rounded()) % turn
        case .string, .vec3, .quat:
            return 0
        }
    }

    /// The same for a Lua integer, exact for integer types.
    @inline(__always)
    public func quantize(_ value: Int64) -> Int64 {
        switch kind {
        case .integer, .entity: return Swift.min(Swift.max(value, lower), upper)
        case .bool: return value != 0 ? 1 : 0
        default: return quantize(Double(value))
        }
    }

    @inline(__always)
    private func clamp(_ rounded: Double) -> Int64 {
        if rounded <= Double(lower) { return lower }
        if rounded >= Double(upper) { return upper }
        return Int64(rounded)
    }

    /// The value a reader sees for a stored integer. Vectors and quaternions
    /// are not one number: the stored integer itself (see
    /// `dequantizeVector` and `dequantizeQuaternion`).
    public func dequantize(_ q: Int64) -> Double {
        switch kind {
        case .bool, .integer, .entity, .string, .vec3, .quat: Double(q)
        case .f32: Double(Float(bitPattern: UInt32(truncatingIfNeeded: q)))
        case .fixed: min + Double(q) * step
        case .angle: Double(q) * (2 * Double.pi) / Double(turn)
        }
    }

    // MARK: Vectors

    /// One axis as `fixed` does it: the nearest step, clamped to
    /// `0...steps`; NaN is step 0.
    @inline(__always)
    private static func axis(_ value: Double, min: Double, step: Double, steps: Int64) -> Int64 {
        guard !value.isNaN else { return 0 }
        let rounded = ((value - min) / step).rounded()
        if rounded <= 0 { return 0 }
        if rounded >= Double(steps) { return steps }
        return Int64(rounded)
    }

    /// The stored integer of a `vec3`: each axis quantized like `fixed`,
    /// packed `x | y << bx | z << (bx + by)`. 0 for other kinds.
    @inline(__always)
    public func quantize(vector x: Double, y: Double, z: Double) -> Int64 {
        guard kind == .vec3 else { return 0 }
        return Self.axis(x, min: min, step: step, steps: stepsX)
            | Self.axis(y, min: minY, step: stepY, steps: stepsY) << shiftY
            | Self.axis(z, min: minZ, step: stepZ, steps: stepsZ) << shiftZ
    }

    /// The step counts of a packed `vec3`.
    @inline(__always)
    func vectorSteps(_ q: Int64) -> (x: Int64, y: Int64, z: Int64) {
        let u = UInt64(bitPattern: q)
        let x = u & ((1 << UInt64(shiftY)) - 1)
        let y = (u >> UInt64(shiftY)) & ((1 << UInt64(shiftZ - shiftY)) - 1)
        return (Int64(x), Int64(y), Int64(bitPattern: u >> UInt64(shiftZ)))
    }

    /// The vector a reader sees for a stored `vec3`.
    public func dequantizeVector(_ q: Int64) -> (x: Double, y: Double, z: Double) {
        guard kind == .vec3 else { return (0, 0, 0) }
        let s = vectorSteps(q)
        return (min + Double(s.x) * step, minY + Double(s.y) * stepY, minZ + Double(s.z) * stepZ)
    }

    /// Whether a stored integer read from the wire is one this type can
    /// store: in `lower...upper` and, for `vec3`, no axis above its steps.
    public func isValid(_ q: Int64) -> Bool {
        guard q >= lower, q <= upper else { return false }
        guard kind == .vec3 else { return true }
        let s = vectorSteps(q)
        return s.x <= stepsX && s.y <= stepsY && s.z <= stepsZ
    }

    // MARK: Quaternions

    /// The stored integer of a `quat` (docs/protocol.md, "Quaternions"):
    /// normalized first (a zero or non-finite quaternion stores the
    /// identity 0, 0, 0, 1), then the index of the largest-magnitude
    /// component (the first on ties) and the other three in x, y, z, w order,
    /// after negating them all if the largest is negative. 0 for other kinds.
    ///
    /// The C reader does exactly these operations in this order, so both
    /// round alike.
    public func quantize(quaternion x: Double, y: Double, z: Double, w: Double) -> Int64 {
        guard kind == .quat else { return 0 }
        var (x, y, z, w) = (x, y, z, w)
        var m = 0.0
        if x.isFinite, y.isFinite, z.isFinite, w.isFinite {
            // Scale by the largest magnitude first, so the sum of squares
            // neither overflows nor vanishes.
            m = abs(x)
            if abs(y) > m { m = abs(y) }
            if abs(z) > m { m = abs(z) }
            if abs(w) > m { m = abs(w) }
        }
        if m == 0 {
            (x, y, z, w) = (0, 0, 0, 1)
        } else {
            x /= m; y /= m; z /= m; w /= m
            let n = (x * x + y * y + z * z + w * w).squareRoot()
            x /= n; y /= n; z /= n; w /= n
        }
        var index: Int64 = 0
        var largest = abs(x)
        if abs(y) > largest { index = 1; largest = abs(y) }
        if abs(z) > largest { index = 2; largest = abs(z) }
        if abs(w) > largest { index = 3 }
        var (a, b, c, l): (Double, Double, Double, Double)
        switch index {
        case 0: (a, b, c, l) = (y, z, w, x)
        case 1: (a, b, c, l) = (x, z, w, y)
        case 2: (a, b, c, l) = (x, y, w, z)
        default: (a, b, c, l) = (x, y, z, w)
        }
        if l < 0 { (a, b, c) = (-a, -b, -c) }
        let top = (Int64(1) << bits) - 1
        let scale = Double(top) / (2 * Self.quaternionHalfRange)
        func component(_ v: Double) -> Int64 {
            let rounded = ((v + Self.quaternionHalfRange) * scale).rounded()
            if rounded <= 0 { return 0 }
            if rounded >= Double(top) { return top }
            return Int64(rounded)
        }
        return index | component(a) << 2 | component(b) << (2 + bits) | component(c) << (2 + 2 * bits)
    }

    /// The quaternion a reader sees for a stored `quat`: the largest
    /// component rebuilt as `√(max(0, 1 - a² - b² - c²))`, so it is never
    /// negative.
    public func dequantizeQuaternion(_ q: Int64) -> (x: Double, y: Double, z: Double, w: Double) {
        guard kind == .quat else { return (0, 0, 0, 1) }
        let u = UInt64(bitPattern: q)
        let mask = (UInt64(1) << UInt64(bits)) - 1
        let scale = Double((Int64(1) << bits) - 1) / (2 * Self.quaternionHalfRange)
        func component(_ shift: Int) -> Double {
            Double((u >> UInt64(shift)) & mask) / scale - Self.quaternionHalfRange
        }
        let (a, b, c) = (component(2), component(2 + bits), component(2 + 2 * bits))
        let l = Swift.max(0, 1 - a * a - b * b - c * c).squareRoot()
        switch u & 3 {
        case 0: return (l, a, b, c)
        case 1: return (a, l, b, c)
        case 2: return (a, b, l, c)
        default: return (a, b, c, l)
        }
    }
}
