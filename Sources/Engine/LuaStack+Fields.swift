import Lua

extension LuaStack {
    /// Pushes the value a reader sees for a stored field value.
    public func push(field value: Int64, type: FieldType, strings: [[UInt8]]) throws(LuaError) {
        switch type {
        case .bool: push(value != 0)
        case .integer, .entity: push(value)
        case .f32, .fixed, .angle: push(type.dequantize(value))
        case .string: try push(bytes: strings.indices.contains(Int(value)) ? strings[Int(value)] : [])
        }
    }

    /// Quantizes the Lua value at `index` for a field of `type`. String values
    /// are appended to `strings` and stand as their index. Returns nil (and
    /// stores 0) when the value has the wrong Lua type; nil and false count as
    /// 0, "" or no entity, never as wrong.
    public func quantize(at index: Int32, as type: FieldType, strings: inout [[UInt8]], idKey: LuaKey) -> (Int64, ok: Bool) {
        let luaType = self.type(at: index)
        switch type {
        case .bool:
            return (truthy(at: index) ? 1 : 0, true)
        case .string(let maxBytes):
            let bytes = withBytes(at: index) { FieldType.truncate($0, maxBytes: maxBytes) }
            strings.append(bytes.map(Array.init) ?? [])
            return (Int64(strings.count - 1), bytes != nil || luaType == .nil || luaType == .none)
        case .entity:
            switch luaType {
            case .table:
                rawGet(table: index, key: idKey)
                defer { pop() }
                guard let id = integer(at: -1) else { return (0, false) }
                return (type.quantize(id), true)
            case .number:
                guard let id = integer(at: index) else { return (0, false) }
                return (type.quantize(id), true)
            case .nil, .none: return (0, true)
            case .boolean: return (0, !truthy(at: index))
            default: return (0, false)
            }
        case .integer, .f32, .fixed, .angle:
            guard luaType == .number else { return (0, luaType == .nil || luaType == .none) }
            if isInteger(at: index), let i = integer(at: index) { return (type.quantize(i), true) }
            return (type.quantize(number(at: index) ?? 0), true)
        }
    }
}
