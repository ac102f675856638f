import Lua
import Protocol

extension LuaStack {
    /// Pushes the value a reader sees for a stored field value: a new table
    /// `{ x =, y =, z = }` for a vec3, `{ x =, y =, z =, w = }` for a quat.
    /// On failure nothing is pushed.
    public func push(field value: Int64, codec: Quantizer, strings: StringTable) throws(LuaError) {
        switch codec.kind {
        case .bool: push(value != 0)
        case .integer, .entity: push(value)
        case .f32, .fixed, .angle: push(codec.dequantize(value))
        case .string: try push(bytes: strings.indices.contains(Int(value)) ? strings[Int(value)] : [])
        case .vec3:
            let v = codec.dequantizeVector(value)
            try pushComponents(v.x, v.y, v.z, nil)
        case .quat:
            let q = codec.dequantizeQuaternion(value)
            try pushComponents(q.x, q.y, q.z, q.w)
        }
    }

    /// A new table of components keyed "x", "y", "z" (and "w"), built with
    /// protected operations only.
    private func pushComponents(_ x: Double, _ y: Double, _ z: Double, _ w: Double?) throws(LuaError) {
        // The table, a key, a value, and the protected call's function and table.
        guard reserve(6) else { throw LuaError(kind: .memoryLimit, message: "no room on the Lua stack for a vector") }
        try pushTable(recordCapacity: w == nil ? 3 : 4)
        func set(_ component: Int, _ value: Double) throws(LuaError) {
            pushComponentKey(component)
            push(value)
            try rawSet(table: -3)
        }
        do throws(LuaError) {
            try set(0, x)
            try set(1, y)
            try set(2, z)
            if let w { try set(3, w) }
        } catch {
            pop()
            throw error
        }
    }

    /// Quantizes the Lua value at `index` for a field: a string is appended
    /// to `strings` (truncated to its maximum) and stands as its index. `ok`
    /// is false when the value had the wrong Lua type (it is stored as 0, ""
    /// or, for a quat, the identity).
    public func quantize(at index: Int32, codec: LuaQuantizer, strings: inout StringTable, idKey: LuaRef) -> (Int64, ok: Bool) {
        let cell = quantize(at: index, by: codec, idKey: idKey)
        guard codec.kind == .string else { return (cell.value, cell.ok) }
        let stored = withBytes(at: index) { strings.append(FieldType.truncate($0, maxBytes: Int(codec.upper))) }
        return (Int64(stored ?? strings.append([])), cell.ok)
    }
}
