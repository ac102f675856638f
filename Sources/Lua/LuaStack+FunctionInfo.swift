import CLua

extension LuaStack {
    /// `chunk:line` where the Lua function at `index` is defined (the line of
    /// its `function` keyword), or nil for a C function or any other value.
    ///
    /// For failures the engine finds after a callback has returned (a rule
    /// that broke an invariant the engine checks later): the callback's own
    /// line is the nearest place in the game it can name. Reads debug
    /// information only; raises no error and allocates nothing in Lua.
    public func definitionLocation(ofFunctionAt index: Int32) -> String? {
        guard lua_type(L, index) == LUA_TFUNCTION, lua_iscfunction(L, index) == 0, reserve(1) else { return nil }
        var info = lua_Debug()
        lua_pushvalue(L, index)
        // ">S" pops the function and fills `source` and `linedefined`.
        guard lua_getinfo(L, ">S", &info) != 0, info.linedefined > 0, let source = info.source else { return nil }
        var name = String(cString: source)
        if name.hasPrefix("@") || name.hasPrefix("=") {
            name.removeFirst()
        } else {
            // A chunk loaded from a string is named by its text; Lua's short form.
            name = withUnsafeBytes(of: info.short_src) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
        }
        return "\(name):\(info.linedefined)"
    }
}
