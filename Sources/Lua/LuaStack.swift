import CLua

/// The types a Lua value can have.
public enum LuaType: Int32, Sendable {
    case none = -1, `nil` = 0, boolean = 1, lightUserdata = 2, number = 3, string = 4
    case table = 5, function = 6, userdata = 7, thread = 8

    public var name: String {
        switch self {
        case .none: "no value"
        case .nil: "nil"
        case .boolean: "boolean"
        case .lightUserdata, .userdata: "userdata"
        case .number: "number"
        case .string: "string"
        case .table: "table"
        case .function: "function"
        case .thread: "thread"
        }
    }
}

/// A value anchored in the registry of one state.
public struct LuaRef: Hashable, Sendable {
    let id: Int32
}

/// A string interned once and anchored in the registry, so reading a field by
/// it allocates nothing and runs no metamethod.
public struct LuaKey: Sendable {
    public let name: String
    public let ref: LuaRef
}

/// The stack of one Lua thread: the main thread of a `LuaState`, or the thread
/// a Swift function was called on.
///
/// Every operation here either cannot raise a Lua error (raw reads, pushes of
/// numbers and booleans: Lua guarantees `LUA_MINSTACK` free slots, and callers
/// that push more ask `reserve` first) or runs under `lua_pcall` and throws.
/// Indices follow Lua: positive from the bottom, negative from the top.
public struct LuaStack {
    let L: OpaquePointer

    init(_ L: OpaquePointer) { self.L = L }

    // MARK: Size

    public var top: Int32 { lua_gettop(L) }
    public func setTop(_ index: Int32) { lua_settop(L, index) }
    public func pop(_ count: Int32 = 1) { tw_pop(L, count) }
    public func absolute(_ index: Int32) -> Int32 { lua_absindex(L, index) }

    /// Makes room for `count` more values; false if Lua cannot grow the stack.
    public func reserve(_ count: Int32) -> Bool { lua_checkstack(L, count) != 0 }

    // MARK: Pushing (no allocation)

    public func pushNil() { lua_pushnil(L) }
    public func push(_ value: Bool) { lua_pushboolean(L, value ? 1 : 0) }
    public func push(_ value: Int64) { lua_pushinteger(L, value) }
    public func push(_ value: Int) { lua_pushinteger(L, lua_Integer(value)) }
    public func push(_ value: Double) { lua_pushnumber(L, value) }
    public func push(_ ref: LuaRef) { lua_rawgeti(L, tw_registryindex(), lua_Integer(ref.id)) }
    public func pushCopy(of index: Int32) { lua_pushvalue(L, index) }
    /// Pushes the key of a vector or quaternion component: 0 `"x"`, 1 `"y"`,
    /// 2 `"z"`, 3 `"w"`, interned when the state was made.
    public func pushComponentKey(_ component: Int) {
        precondition((0..<4).contains(component), "components are x, y, z, w")
        tw_push_component_key(L, Int32(component))
    }
    /// Pops the top value into `index`.
    public func replace(_ index: Int32) {
        lua_copy(L, -1, index)
        tw_pop(L, 1)
    }

    // MARK: Pushing (may allocate, so protected)

    public func push(string: String) throws(LuaError) {
        var copy = string
        let status = copy.withUTF8 { buffer in
            buffer.withMemoryRebound(to: CChar.self) { tw_pushlstring(L, $0.baseAddress, $0.count) }
        }
        try check(status)
    }

    public func push(bytes: [UInt8]) throws(LuaError) {
        let status = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { tw_pushlstring(L, $0.baseAddress, $0.count) }
        }
        try check(status)
    }

    public func pushTable(arrayCapacity: Int = 0, recordCapacity: Int = 0) throws(LuaError) {
        try check(tw_newtable(L, Int32(clamping: arrayCapacity), Int32(clamping: recordCapacity)))
    }

    /// Pushes a new list `{ strings[1], strings[2], ... }`.
    public func push(strings: [String]) throws(LuaError) {
        try pushTable(arrayCapacity: strings.count)
        for (i, string) in strings.enumerated() {
            push(i + 1)
            try push(string: string)
            try rawSet(table: -3)
        }
    }

    /// Pushes a new list of lists of strings.
    public func push(stringLists lists: [[String]]) throws(LuaError) {
        try pushTable(arrayCapacity: lists.count)
        for (i, list) in lists.enumerated() {
            push(i + 1)
            try push(strings: list)
            try rawSet(table: -3)
        }
    }

    /// `t[k] = v` without metamethods, for the table at `table`; pops k and v.
    public func rawSet(table: Int32) throws(LuaError) {
        try check(tw_rawset(L, table))
    }

    /// Sets `t[n], ..., t[1]` to nil for the array at `index`, n being its raw
    /// length. Setting an existing key to nil never allocates, so this is safe
    /// unprotected.
    public func clearArray(at index: Int32) {
        let t = lua_absindex(L, index)
        var i = lua_rawlen(L, t)
        while i > 0 {
            lua_pushnil(L)
            lua_rawseti(L, t, lua_Integer(i))
            i -= 1
        }
    }

    /// Pops the value on top into the registry.
    public func ref() throws(LuaError) -> LuaRef {
        var id: Int32 = 0
        try check(tw_ref(L, &id))
        return LuaRef(id: id)
    }

    func check(_ status: Int32) throws(LuaError) {
        guard status != LUA_OK else { return }
        let message = string(at: -1) ?? "error"
        pop()
        throw LuaError(kind: status == LUA_ERRMEM ? .memoryLimit : .runtime, raw: message)
    }

    // MARK: Reading (no allocation, no metamethods)

    public func type(at index: Int32) -> LuaType { LuaType(rawValue: lua_type(L, index)) ?? .none }

    public func isInteger(at index: Int32) -> Bool { lua_isinteger(L, index) != 0 }

    /// The value as an integer if it is a number with an exact integer value.
    public func integer(at index: Int32) -> Int64? {
        guard lua_type(L, index) == LUA_TNUMBER else { return nil }
        var ok: Int32 = 0
        let v = lua_tointegerx(L, index, &ok)
        return ok != 0 ? v : nil
    }

    public func number(at index: Int32) -> Double? {
        guard lua_type(L, index) == LUA_TNUMBER else { return nil }
        return lua_tonumberx(L, index, nil)
    }

    /// Lua truthiness: only nil and false are false.
    public func truthy(at index: Int32) -> Bool { lua_toboolean(L, index) != 0 }

    /// The bytes of a string value, without converting numbers.
    public func withBytes<R>(at index: Int32, _ body: (UnsafeRawBufferPointer) -> R) -> R? {
        guard lua_type(L, index) == LUA_TSTRING else { return nil }
        var length = 0
        guard let pointer = lua_tolstring(L, index, &length) else { return nil }
        return body(UnsafeRawBufferPointer(start: pointer, count: length))
    }

    public func bytes(at index: Int32) -> [UInt8]? { withBytes(at: index) { Array($0) } }

    public func string(at index: Int32) -> String? {
        withBytes(at: index) { String(decoding: $0, as: UTF8.self) }
    }

    /// Pushes `t[key]` for the table at `table`; returns its type.
    @discardableResult
    public func rawGet(table: Int32, key: LuaKey) -> LuaType {
        let t = lua_absindex(L, table)
        lua_rawgeti(L, tw_registryindex(), lua_Integer(key.ref.id))
        return LuaType(rawValue: lua_rawget(L, t)) ?? .none
    }

    /// Pushes `t[k]` for the table at `table`, `k` being the registry value
    /// `key` (an interned string); returns its type.
    @discardableResult
    @inline(__always)
    public func rawGet(table: Int32, keyRef key: LuaRef) -> LuaType {
        let t = lua_absindex(L, table)
        lua_rawgeti(L, tw_registryindex(), lua_Integer(key.id))
        return LuaType(rawValue: lua_rawget(L, t)) ?? .none
    }

    /// Pushes `t[i]` for the table at `table`; returns its type.
    @discardableResult
    public func rawGet(table: Int32, index i: Int) -> LuaType {
        LuaType(rawValue: lua_rawgeti(L, table, lua_Integer(i))) ?? .none
    }

    /// The raw length (`#` without `__len`) of the value at `index`.
    public func rawLength(at index: Int32) -> Int { Int(lua_rawlen(L, index)) }

    /// Raw traversal: pushes the next key and value after the key on top, or
    /// pops the key and returns false at the end.
    public func next(table: Int32) -> Bool { lua_next(L, table) != 0 }
}
