import Lua
import Protocol

extension LuaStack {
    /// Pushes the value a reader sees for a stored field value.
    public func push(field value: Int64, codec: Quantizer, strings: StringTable) throws(LuaError) {
        switch codec.kind {
        case .bool: push(value != 0)
        case .integer, .entity: push(value)
        case .f32, .fixed, .angle: push(codec.dequantize(value))
        case .string: try push(bytes: strings.indices.contains(Int(value)) ? strings[Int(value)] : [])
        }
    }

    /// Quantizes the Lua value at `index` for a field: a string is appended
    /// to `strings` (truncated to its maximum) and stands as its index. `ok`
    /// is false when the value had the wrong Lua type (it is stored as 0 or "").
    public func quantize(at index: Int32, codec: LuaQuantizer, strings: inout StringTable, idKey: LuaRef) -> (Int64, ok: Bool) {
        let cell = quantize(at: index, by: codec, idKey: idKey)
        guard codec.kind == .string else { return (cell.value, cell.ok) }
        let stored = withBytes(at: index) { strings.append(FieldType.truncate($0, maxBytes: Int(codec.upper))) }
        return (Int64(stored ?? strings.append([])), cell.ok)
    }
}
