import Lua
import Protocol

extension FieldType {
    /// The C quantizer the snapshot reader uses for this type: the same
    /// arithmetic as `quantizer` (a test checks they agree), run where the
    /// values are read out of Lua. The same for every Lua state: vec3 and
    /// quat find their component keys in the state they read.
    public var luaQuantizer: LuaQuantizer {
        switch self {
        case .bool: .boolean
        case .integer(let bits, let signed):
            signed ? .integer(-(Int64(1) << (bits - 1)), (Int64(1) << (bits - 1)) - 1) : .integer(0, (Int64(1) << bits) - 1)
        case .f32: .float32
        case .fixed(let min, let max, let step): .fixed(min: min, step: step, steps: Self.steps(min: min, max: max, step: step))
        case .angle(let bits): .angle(turn: Int64(1) << bits)
        case .string(let maxBytes): .string(maxBytes: maxBytes)
        case .entity: .reference(upper: Int64(UInt32.max))
        case .vec3(let x, let y, let z): .vec3(x: x.luaAxis, y: y.luaAxis, z: z.luaAxis)
        case .quat(let bits): .quat(bits: bits)
        }
    }
}

extension FieldType.Axis {
    var luaAxis: LuaQuantizer.Axis { LuaQuantizer.Axis(min: min, step: step, steps: steps, bits: bits) }
}
