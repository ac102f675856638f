import Lua

extension FieldType {
    /// The quantizer that stores values of this type: the one definition of
    /// their integers, shared by snapshots, inputs and tests.
    public var quantizer: LuaQuantizer {
        switch self {
        case .bool: .boolean
        case .integer(let bits, let signed):
            signed ? .integer(-(Int64(1) << (bits - 1)), (Int64(1) << (bits - 1)) - 1) : .integer(0, (Int64(1) << bits) - 1)
        case .f32: .float32
        case .fixed(let min, let max, let step): .fixed(min: min, step: step, steps: Self.steps(min: min, max: max, step: step))
        case .angle(let bits): .angle(turn: Int64(1) << bits)
        case .string(let maxBytes): .string(maxBytes: maxBytes)
        case .entity: .reference(upper: Int64(UInt32.max))
        }
    }
}
