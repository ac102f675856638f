/// The arithmetic of a `FieldType`: how a value becomes the integer a
/// snapshot stores and the wire carries, and back. A plain value with no
/// reference-counted payload, so hot loops copy it for free.
///
/// The server's snapshot reader does the same arithmetic in C
/// (`tw_quantize_number` in the CLua shim); a test checks that both agree.
public struct Quantizer: Sendable, Equatable {
    public enum Kind: UInt8, Sendable {
        case bool, integer, f32, fixed, angle, string, entity
    }

    public let kind: Kind
    /// Range of the stored integer.
    public let lower: Int64
    public let upper: Int64
    /// `fixed`: value of step 0, and step size.
    let min: Double
    let step: Double
    /// `angle`: steps per turn.
    let turn: Int64

    public init(_ type: FieldType) {
        var min = 0.0, step = 1.0, turn: Int64 = 1
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
        }
        self.min = min
        self.step = step
        self.turn = turn
    }

    /// The stored integer for a Lua number: clamped to the range, NaN as 0
    /// (fixed: as `min`), angles wrapped into one turn.
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
        case .string:
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

    /// The value a reader sees for a stored integer.
    public func dequantize(_ q: Int64) -> Double {
        switch kind {
        case .bool, .integer, .entity, .string: Double(q)
        case .f32: Double(Float(bitPattern: UInt32(truncatingIfNeeded: q)))
        case .fixed: min + Double(q) * step
        case .angle: Double(q) * (2 * Double.pi) / Double(turn)
        }
    }
}
