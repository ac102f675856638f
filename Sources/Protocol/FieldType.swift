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
    /// A 3D vector, each axis quantized like `fixed`; the three step counts
    /// are packed `x | y << bx | z << (bx + by)` in at most 63 bits.
    case vec3(x: Axis, y: Axis, z: Axis)
    /// A unit quaternion as *smallest three*: the index of the largest
    /// component (2 bits), then the other three at `bits` bits each
    /// (docs/protocol.md, "Quaternions").
    case quat(bits: Int)

    /// One axis of a `vec3`: `min + q * step` for `q` in `0...steps`.
    public struct Axis: Sendable, Equatable, CustomStringConvertible {
        public let min: Double
        public let max: Double
        public let step: Double

        public init(min: Double, max: Double, step: Double) {
            self.min = min
            self.max = max
            self.step = step
        }

        public var steps: Int64 { FieldType.steps(min: min, max: max, step: step) }
        /// Width of the axis's step count in the packed value.
        public var bits: Int { FieldType.bitsFor(steps) }
        public var description: String { "\(min), \(max), \(step)" }
    }

    public static let defaultStringBytes = 32
    public static let maxStringBytes = 4096
    public static let maxFixedSteps = Double(UInt32.max)
    /// A `vec3` packs its three axes into one stored integer.
    public static let maxVectorBits = 63
    public static let quaternionBits = 6...20
    public static let defaultQuaternionBits = 10

    public var description: String {
        switch self {
        case .bool: "bool"
        case .integer(let bits, let signed): (signed ? "i" : "u") + String(bits)
        case .f32: "f32"
        case .fixed(let min, let max, let step): "fixed(\(min), \(max), \(step))"
        case .angle(let bits): "angle(\(bits))"
        case .string(let maxBytes): "string(\(maxBytes))"
        case .entity(let kind): kind.map { "entity(\($0))" } ?? "entity"
        case .vec3(let x, let y, let z): x == y && y == z ? "vec3(\(x))" : "vec3((\(x)), (\(y)), (\(z)))"
        case .quat(let bits): "quat(\(bits))"
        }
    }

    /// Whether values of this type are numbers (as opposed to bool, string,
    /// entity, and the tables of vec3 and quat).
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
        case .vec3(let x, let y, let z): x.bits + y.bits + z.bits
        case .quat(let bits): 2 + 3 * bits
        }
    }

    static func bitsFor(_ maximum: Int64) -> Int {
        maximum <= 0 ? 1 : 64 - maximum.leadingZeroBitCount
    }

    /// Integer range of the stored value (fixed: step counts; string: byte
    /// length; vec3 and quat: every packing of their width, `0...2^width - 1`).
    public var range: ClosedRange<Int64> {
        let q = quantizer
        return q.lower...q.upper
    }

    public var quantizer: Quantizer { Quantizer(self) }

    /// The stored integer for a number; see `Quantizer`. Vectors and
    /// quaternions have their own `quantize(vector:)` and `quantize(quaternion:)`.
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
