import CLua

/// How a Lua value becomes the integer a snapshot stores, and back.
///
/// The arithmetic lives once, in the C shim (`tw_quantize_number`,
/// `tw_quantize_vec3`, `tw_quantize_quat`), so the bulk reader that takes
/// snapshots and the single values read from Swift give exactly the same
/// integers.
public struct LuaQuantizer: Sendable, Equatable {
    public enum Kind: Int32, Sendable {
        case boolean = 0, integer = 1, float32 = 2, fixed = 3, angle = 4, string = 5, reference = 6
        case vec3 = 7, quat = 8
    }

    /// One axis of a vector: `min + q * step` for `q` in `0...steps`,
    /// `bits` wide in the packed value.
    public struct Axis: Sendable, Equatable {
        public let min: Double
        public let step: Double
        public let steps: Int64
        public let bits: Int

        public init(min: Double, step: Double, steps: Int64, bits: Int) {
            self.min = min
            self.step = step
            self.steps = steps
            self.bits = bits
        }
    }

    @usableFromInline let raw: tw_quantizer

    public var kind: Kind { Kind(rawValue: raw.kind) ?? .integer }
    /// Range of the stored integer (strings: their maximum length in bytes).
    public var lower: Int64 { raw.lower }
    public var upper: Int64 { raw.upper }

    /// Stored from a Lua number (integer, float32, fixed, angle).
    public var isNumeric: Bool {
        switch kind {
        case .integer, .float32, .fixed, .angle: true
        case .boolean, .string, .reference, .vec3, .quat: false
        }
    }

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

    /// Three axes packed `x | y << x.bits | z << (x.bits + y.bits)`, at
    /// most 63 bits; read from a table's `x`, `y`, `z` (or items 1, 2, 3).
    public static func vec3(x: Axis, y: Axis, z: Axis) -> LuaQuantizer {
        let width = x.bits + y.bits + z.bits
        precondition(width <= 63, "a vec3 packs into at most 63 bits")
        var raw = Self.raw(kind: .vec3, lower: 0, upper: Int64.max >> (63 - width), min: x.min, step: x.step)
        (raw.min_y, raw.step_y, raw.min_z, raw.step_z) = (y.min, y.step, z.min, z.step)
        (raw.steps_x, raw.steps_y, raw.steps_z) = (x.steps, y.steps, z.steps)
        (raw.shift_y, raw.shift_z) = (Int32(x.bits), Int32(x.bits + y.bits))
        return LuaQuantizer(raw: raw)
    }

    /// A unit quaternion as smallest three at `bits` (6...20) per component;
    /// read from a table's `x`, `y`, `z`, `w` (or items 1 to 4).
    public static func quat(bits: Int) -> LuaQuantizer {
        precondition((1...20).contains(bits), "quat components take at most 20 bits")
        var raw = Self.raw(kind: .quat, lower: 0, upper: (Int64(1) << (2 + 3 * bits)) - 1)
        raw.bits = Int32(bits)
        return LuaQuantizer(raw: raw)
    }

    private init(raw: tw_quantizer) { self.raw = raw }

    private init(kind: Kind, lower: Int64, upper: Int64, min: Double = 0, step: Double = 1, turn: Int64 = 1) {
        raw = Self.raw(kind: kind, lower: lower, upper: upper, min: min, step: step, turn: turn)
    }

    private static func raw(kind: Kind, lower: Int64, upper: Int64, min: Double = 0, step: Double = 1,
                            turn: Int64 = 1) -> tw_quantizer {
        var raw = tw_quantizer()
        (raw.kind, raw.lower, raw.upper) = (kind.rawValue, lower, upper)
        (raw.min, raw.step, raw.turn) = (min, step, turn)
        (raw.step_y, raw.step_z) = (1, 1)
        return raw
    }

    public static func == (a: LuaQuantizer, b: LuaQuantizer) -> Bool {
        let (x, y) = (a.raw, b.raw)
        return x.kind == y.kind && x.lower == y.lower && x.upper == y.upper
            && x.min == y.min && x.step == y.step && x.turn == y.turn
            && x.min_y == y.min_y && x.step_y == y.step_y && x.min_z == y.min_z && x.step_z == y.step_z
            && x.steps_x == y.steps_x && x.steps_y == y.steps_y && x.steps_z == y.steps_z
            && x.shift_y == y.shift_y && x.shift_z == y.shift_z && x.bits == y.bits
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

    /// The stored integer of a vec3 (0 for other kinds).
    public func quantize(vector x: Double, y: Double, z: Double) -> Int64 {
        guard kind == .vec3 else { return 0 }
        return withUnsafePointer(to: raw) { tw_quantize_vec3($0, x, y, z) }
    }

    /// The stored integer of a quat (0 for other kinds).
    public func quantize(quaternion x: Double, y: Double, z: Double, w: Double) -> Int64 {
        guard kind == .quat else { return 0 }
        return withUnsafePointer(to: raw) { tw_quantize_quat($0, x, y, z, w) }
    }

    /// The value a reader sees for a stored integer (vec3 and quat: the
    /// integer itself; readers decode those with the protocol's `Quantizer`).
    public func dequantize(_ q: Int64) -> Double {
        withUnsafePointer(to: raw) { tw_dequantize($0, q) }
    }
}
