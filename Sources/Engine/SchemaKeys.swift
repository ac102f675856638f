import Lua

/// What the snapshot loop needs of the schema, in trivial values cheap to
/// copy: interned keys for every declared field name as registry references,
/// and the C quantizers, in schema order per set.
struct SchemaKeys {
    let id: LuaRef
    /// The `kind` key, and `kindNames[k]` the name of `schema.kinds[k]`: the
    /// snapshot checks each entity still carries its kind.
    let kind: LuaRef
    let kindNames: [LuaRef]
    let match: [LuaRef]
    /// `kinds[k]` for `schema.kinds[k]`.
    let kinds: [[LuaRef]]
    let events: [[LuaRef]]
    let matchQuantizers: [LuaQuantizer]
    let kindQuantizers: [[LuaQuantizer]]
    let eventQuantizers: [[LuaQuantizer]]
    /// What the snapshot reads of each kind's tables: its fields, then, when
    /// visibility needs an owner the kind does not declare, the `owner` key
    /// (unsent: a player table or id, quantized like an entity link).
    let kindReads: [[LuaRef]]
    let kindReadQuantizers: [[LuaQuantizer]]
    /// The column of each kind's rows that holds its owner, if read.
    let ownerColumns: [Int?]
    /// `locked`, in the prelude's `status` table (`match:lock()`).
    let locked: LuaRef

    /// Every distinct reference held, to release them together.
    let all: [LuaRef]

    init(lua: LuaState, schema: GameSchema, visibility: GameVisibility) throws(LuaError) {
        var interned: [String: LuaRef] = [:]
        func key(_ name: String) throws(LuaError) -> LuaRef {
            if let k = interned[name] { return k }
            let k = try lua.key(name).ref
            interned[name] = k
            return k
        }
        func keys(_ fields: [Field]) throws(LuaError) -> [LuaRef] {
            var result: [LuaRef] = []
            for f in fields { result.append(try key(f.name)) }
            return result
        }
        id = try key("id")
        kind = try key("kind")
        var kindNames: [LuaRef] = []
        for k in schema.kinds { kindNames.append(try key(k.name)) }
        self.kindNames = kindNames
        match = try keys(schema.match.fields)
        var kinds: [[LuaRef]] = []
        for kind in schema.kinds { kinds.append(try keys(kind.fields)) }
        self.kinds = kinds
        var events: [[LuaRef]] = []
        for event in schema.events { events.append(try keys(event.fields)) }
        self.events = events
        matchQuantizers = schema.match.fields.map(\.type.luaQuantizer)
        kindQuantizers = schema.kinds.map { $0.fields.map(\.type.luaQuantizer) }
        eventQuantizers = schema.events.map { $0.fields.map(\.type.luaQuantizer) }
        let owner = try key("owner")
        locked = try key("locked")
        var reads = kinds, readQuantizers = kindQuantizers
        var ownerColumns: [Int?] = []
        for k in schema.kinds.indices {
            guard visibility.readsOwner(kind: k) else { ownerColumns.append(nil); continue }
            if let f = visibility.kinds[k].ownerField {
                ownerColumns.append(f)
            } else {
                ownerColumns.append(reads[k].count)
                reads[k].append(owner)
                readQuantizers[k].append(FieldType.entity(kind: nil).luaQuantizer)
            }
        }
        kindReads = reads
        kindReadQuantizers = readQuantizers
        self.ownerColumns = ownerColumns
        all = Array(interned.values)
    }

    /// Gives the references back (keys replaced by a reload's).
    func release(from lua: LuaState) {
        for ref in all { lua.release(ref) }
    }
}
