/// How one declared field is stored in a snapshot and packed on the wire.
///
/// Every field quantizes to an `Int64` (strings: an index into the snapshot's
/// string table), so a snapshot holds exactly the integers a client will see,
/// and `dequantize(quantize(x))` is what every reader of the state gets.
public enum FieldType: Sendable, Equatable, CustomStringConvertible {
    case bool
    /// u8, i8, u16, i16, u32, i32.
    case integer(bits: Int, signed: Bool)
    /// IEEE single precision, stored as its bit pattern.
    case f32
    /// `min + q * step` for `q` in `0...steps`.
    case fixed(min: Double, max: Double, step: Double)
    /// Radians in `[0, 2π)` at `bits` bits of resolution.
    case angle(bits: Int)
    /// UTF-8 bytes, truncated (at a character boundary) to `maxBytes`.
    case string(maxBytes: Int)
    /// The id of an entity (0 for none), optionally of one kind only.
    case entity(kind: String?)

    public static let defaultStringBytes = 32
    public static let maxStringBytes = 4096
    public static let maxFixedSteps = Double(UInt32.max)

    public var description: String {
        switch self {
        case .bool: "bool"
        case .integer(let bits, let signed): (signed ? "i" : "u") + String(bits)
        case .f32: "f32"
        case .fixed(let min, let max, let step): "fixed(\(min), \(max), \(step))"
        case .angle(let bits): "angle(\(bits))"
        case .string(let maxBytes): "string(\(maxBytes))"
        case .entity(let kind): kind.map { "entity(\($0))" } ?? "entity"
        }
    }

    /// Whether values of this type are numbers (as opposed to bool, string, entity).
    public var isNumeric: Bool {
        switch self {
        case .integer, .f32, .fixed, .angle: true
        default: false
        }
    }

    /// Number of steps of a fixed field.
    static func steps(min: Double, max: Double, step: Double) -> Int64 {
        Int64(((max - min) / step).rounded())
    }

    /// Bits the plain (non-delta) encoding of a value takes; strings are
    /// counted by their length prefix only.
    public var bitWidth: Int {
        switch self {
        case .bool: 1
        case .integer(let bits, _): bits
        case .f32: 32
        case .fixed(let min, let max, let step): Self.bitsFor(Self.steps(min: min, max: max, step: step))
        case .angle(let bits): bits
        case .string(let maxBytes): Self.bitsFor(Int64(maxBytes))
        case .entity: 32
        }
    }

    static func bitsFor(_ maximum: Int64) -> Int {
        maximum <= 0 ? 1 : 64 - maximum.leadingZeroBitCount
    }

    /// Integer range of a numeric type (fixed: step counts).
    public var range: ClosedRange<Int64> {
        switch self {
        case .bool: 0...1
        case .integer(let bits, let signed):
            signed ? -(Int64(1) << (bits - 1))...((Int64(1) << (bits - 1)) - 1) : 0...((Int64(1) << bits) - 1)
        case .f32: 0...Int64(UInt32.max)
        case .fixed(let min, let max, let step): 0...Self.steps(min: min, max: max, step: step)
        case .angle(let bits): 0...((Int64(1) << bits) - 1)
        case .string(let maxBytes): 0...Int64(maxBytes)
        case .entity: 0...Int64(UInt32.max)
        }
    }

    /// The stored integer for a Lua number: clamped to the range, NaN as 0
    /// (fixed: as `min`), angles wrapped into one turn.
    public func quantize(_ value: Double) -> Int64 {
        switch self {
        case .bool:
            return value != 0 ? 1 : 0
        case .integer, .entity:
            guard !value.isNaN else { return 0 }
            let r = range
            let rounded = value.rounded()
            if rounded <= Double(r.lowerBound) { return r.lowerBound }
            if rounded >= Double(r.upperBound) { return r.upperBound }
            return Int64(rounded)
        case .f32:
            return Int64(Float(value).bitPattern)
        case .fixed(let min, _, let step):
            guard !value.isNaN else { return 0 }
            let upper = range.upperBound
            let q = ((value - min) / step).rounded()
            if q <= 0 { return 0 }
            if q >= Double(upper) { return upper }
            return Int64(q)
        case .angle(let bits):
            guard value.isFinite else { return 0 }
            let turns = value / (2 * Double.pi)
            let fraction = turns - turns.rounded(.down)
            let count = Int64(1) << bits
            return Int64((fraction * Double(count)).rounded()) % count
        case .string:
            return 0
        }
    }

    /// The same for a Lua integer, exact for integer types.
    public func quantize(_ value: Int64) -> Int64 {
        switch self {
        case .integer, .entity:
            return Swift.min(Swift.max(value, range.lowerBound), range.upperBound)
        case .bool:
            return value != 0 ? 1 : 0
        default:
            return quantize(Double(value))
        }
    }

    /// The value a reader sees for a stored integer.
    public func dequantize(_ q: Int64) -> Double {
        switch self {
        case .bool, .integer, .entity, .string: Double(q)
        case .f32: Double(Float(bitPattern: UInt32(truncatingIfNeeded: q)))
        case .fixed(let min, _, let step): min + Double(q) * step
        case .angle(let bits): Double(q) * (2 * Double.pi) / Double(Int64(1) << bits)
        }
    }

    /// Truncates to `maxBytes` without splitting a UTF-8 sequence.
    static func truncate(_ bytes: UnsafeRawBufferPointer, maxBytes: Int) -> ArraySlice<UInt8> {
        let all = Array(bytes)
        guard all.count > maxBytes else { return all[...] }
        var end = maxBytes
        while end > 0, all[end] & 0xC0 == 0x80 { end -= 1 }
        return all[..<end]
    }
}
