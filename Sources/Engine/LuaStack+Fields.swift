import Lua

extension LuaStack {
    /// Pushes the value a reader sees for a stored field value.
    public func push(field value: Int64, codec: FieldCodec, strings: StringTable) throws(LuaError) {
        switch codec.kind {
        case .bool: push(value != 0)
        case .integer, .entity: push(value)
        case .f32, .fixed, .angle: push(codec.dequantize(value))
        case .string: try push(bytes: strings.indices.contains(Int(value)) ? strings[Int(value)] : [])
        }
    }

    /// Quantizes the Lua value at `index` for a field; see `FieldCodec.quantize(_:strings:bytes:)`.
    public func quantize(at index: Int32, codec: FieldCodec, strings: inout StringTable, idKey: LuaRef) -> (Int64, ok: Bool) {
        codec.quantize(rawValue(at: index, idKey: idKey), strings: &strings) { table in
            withBytes(at: index) { table.append(FieldType.truncate($0, maxBytes: Int(codec.upper))) } ?? table.append([])
        }
    }
}

extension FieldCodec {
    /// The stored integer for a Lua value. A string is appended to `strings`
    /// by `bytes` and stands as its index; an entity table stands as its id.
    /// `ok` is false (and the value 0) when the value has the wrong Lua type;
    /// nil (and false, for entities) mean 0, "" or no entity, never wrong.
    @inline(__always)
    public func quantize(_ value: LuaRawValue, strings: inout StringTable,
                         bytes: (inout StringTable) -> Int) -> (Int64, ok: Bool) {
        switch kind {
        case .bool:
            switch value {
            case .nil: return (0, true)
            case .boolean(let b): return (b ? 1 : 0, true)
            default: return (1, true)
            }
        case .string:
            if case .string = value { return (Int64(bytes(&strings)), true) }
            let empty = Int64(strings.append([]))
            if case .nil = value { return (empty, true) }
            return (empty, false)
        case .entity:
            switch value {
            case .table(let id): return id.map { (quantize($0), true) } ?? (0, false)
            case .integer(let id): return (quantize(id), true)
            case .nil: return (0, true)
            case .boolean(let b): return (0, !b)
            default: return (0, false)
            }
        case .integer, .f32, .fixed, .angle:
            switch value {
            case .integer(let i): return (quantize(i), true)
            case .number(let d): return (quantize(d), true)
            case .nil: return (0, true)
            default: return (0, false)
            }
        }
    }
}
