import CLua

/// How a Lua value becomes the integer a snapshot stores, and back.
///
/// The arithmetic lives once, in the C shim (`tw_quantize_number`), so the
/// bulk reader that takes snapshots and the single values read from Swift
/// give exactly the same integers.
public struct LuaQuantizer: Sendable, Equatable {
    public enum Kind: Int32, Sendable {
        case boolean = 0, integer = 1, float32 = 2, fixed = 3, angle = 4, string = 5, reference = 6
    }

    @usableFromInline let raw: tw_quantizer

    public var kind: Kind { Kind(rawValue: raw.kind) ?? .integer }
    /// Range of the stored integer (strings: their maximum length in bytes).
    public var lower: Int64 { raw.lower }
    public var upper: Int64 { raw.upper }

    /// Stored from a Lua number (integer, float32, fixed, angle).
    public var isNumeric: Bool { kind != .boolean && kind != .string && kind != .reference }

    public static let boolean = LuaQuantizer(kind: .boolean, lower: 0, upper: 1)
    public static let float32 = LuaQuantizer(kind: .float32, lower: 0, upper: Int64(UInt32.max))

    /// Whole numbers in `lower...upper`.
    public static func integer(_ lower: Int64, _ upper: Int64) -> LuaQuantizer {
        LuaQuantizer(kind: .integer, lower: lower, upper: upper)
    }

    /// `min + q * step` for `q` in `0...steps`.
    public static func fixed(min: Double, step: Double, steps: Int64) -> LuaQuantizer {
        LuaQuantizer(kind: .fixed, lower: 0, upper: steps, min: min, step: step)
    }

    /// One turn (2π radians) in `turn` steps.
    public static func angle(turn: Int64) -> LuaQuantizer {
        LuaQuantizer(kind: .angle, lower: 0, upper: turn - 1, turn: turn)
    }

    /// Strings of at most `maxBytes` bytes.
    public static func string(maxBytes: Int) -> LuaQuantizer {
        LuaQuantizer(kind: .string, lower: 0, upper: Int64(maxBytes))
    }

    /// Ids of tables (their integer `id` field) in `0...upper`; 0 is none.
    public static func reference(upper: Int64) -> LuaQuantizer {
        LuaQuantizer(kind: .reference, lower: 0, upper: upper)
    }

    private init(kind: Kind, lower: Int64, upper: Int64, min: Double = 0, step: Double = 1, turn: Int64 = 1) {
        raw = tw_quantizer(kind: kind.rawValue, lower: lower, upper: upper, min: min, step: step, turn: turn)
    }

    public static func == (a: LuaQuantizer, b: LuaQuantizer) -> Bool {
        a.raw.kind == b.raw.kind && a.raw.lower == b.raw.lower && a.raw.upper == b.raw.upper
            && a.raw.min == b.raw.min && a.raw.step == b.raw.step && a.raw.turn == b.raw.turn
    }

    /// The stored integer for a Lua number.
    public func quantize(_ value: Double) -> Int64 {
        withUnsafePointer(to: raw) { tw_quantize_number($0, value) }
    }

    /// The same for a Lua integer: exact for integers and references.
    public func quantize(_ value: Int64) -> Int64 {
        switch kind {
        case .integer, .reference: Swift.min(Swift.max(value, lower), upper)
        case .boolean: value != 0 ? 1 : 0
        default: quantize(Double(value))
        }
    }

    /// The value a reader sees for a stored integer.
    public func dequantize(_ q: Int64) -> Double {
        withUnsafePointer(to: raw) { tw_dequantize($0, q) }
    }
}
