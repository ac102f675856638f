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

    /// Number of whole steps from `min` that stay within `max` (with a
    /// tolerance for decimal steps such as 0.1 that binary cannot hold), so
    /// no stored value reads back above `max`.
    public static func steps(min: Double, max: Double, step: Double) -> Int64 {
        Int64(((max - min) / step + 1e-9).rounded(.down))
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

    /// Integer range of the stored value (fixed: step counts; string: byte length).
    public var range: ClosedRange<Int64> {
        let q = quantizer
        return q.lower...q.upper
    }

    public var quantizer: Quantizer { Quantizer(self) }

    /// The stored integer for a number; see `Quantizer`.
    public func quantize(_ value: Double) -> Int64 { quantizer.quantize(value) }

    /// The same for a Lua integer, exact for integer types.
    public func quantize(_ value: Int64) -> Int64 { quantizer.quantize(value) }

    /// The value a reader sees for a stored integer.
    public func dequantize(_ q: Int64) -> Double { quantizer.dequantize(q) }

    /// Truncates to `maxBytes` without splitting a UTF-8 sequence.
    public static func truncate(_ bytes: UnsafeRawBufferPointer, maxBytes: Int) -> UnsafeRawBufferPointer {
        guard bytes.count > maxBytes else { return bytes }
        var end = maxBytes
        while end > 0, bytes[end] & 0xC0 == 0x80 { end -= 1 }
        return UnsafeRawBufferPointer(rebasing: bytes[..<end])
    }
}
