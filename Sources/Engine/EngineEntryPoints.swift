import Lua

/// The Lua functions and tables of `MatchPrelude`, anchored in the registry
/// so each tick reaches them without a lookup by name.
struct EngineEntryPoints {
    let initialize, join, leave, tick, compact, result, setup, reload, clientEvent, repair: LuaRef
    /// `ids`: the prelude's own id of every listed entity table (`idof`);
    /// `audience`: who sees an entity, where the rules said (`match:hide`).
    /// `status`: what else the engine reads of the match (`locked`).
    let lists, events, match, ids, audience, status: LuaRef

    /// Runs the prelude in `lua` and anchors what it returns. Live entities
    /// are capped at what a snapshot may carry (`SnapshotDelta.maxEntities`)
    /// and events per snapshot at `SnapshotMessage.maxEvents`, so the rules
    /// meet those limits as a Lua error where they spawn or emit.
    init(lua: LuaState, maxEntities: Int) throws(LuaError) {
        let stack = lua.stack
        try lua.load(source: MatchPrelude.source, chunkName: MatchPrelude.chunkName)
        stack.push(min(max(maxEntities, 0), SnapshotDelta.maxEntities))
        stack.push(SnapshotMessage.maxEvents)
        try lua.call(arguments: 2, results: 1)
        defer { stack.pop() }
        func field(_ name: String) throws(LuaError) -> LuaRef {
            let key = try lua.key(name)
            defer { lua.release(key) }
            stack.rawGet(table: -1, key: key)
            return try stack.ref()
        }
        initialize = try field("init")
        join = try field("join")
        leave = try field("leave")
        tick = try field("tick")
        compact = try field("compact")
        result = try field("result")
        setup = try field("setup")
        reload = try field("reload")
        clientEvent = try field("client_event")
        repair = try field("repair")
        lists = try field("lists")
        events = try field("events")
        match = try field("match")
        ids = try field("ids")
        audience = try field("audience")
        status = try field("status")
    }

    /// Calls `E.setup(game, kinds, inputs, events)` with the game table that is
    /// on top of the stack (and pops it).
    func setup(lua: LuaState, schema: GameSchema) throws(LuaError) {
        let stack = lua.stack
        let game = stack.top
        stack.push(setup)
        stack.pushCopy(of: game)
        try stack.push(strings: schema.kinds.map(\.name))
        try stack.push(strings: schema.input.map(\.name))
        try stack.push(strings: schema.events.map(\.name))
        stack.pushNil()   // the seed: the sandbox has seeded math.random already
        try stack.push(strings: schema.clientEvents.map(\.name))
        try stack.push(stringLists: schema.clientEvents.map { $0.fields.map(\.name) })
        try lua.call(arguments: 7, results: 0)
        stack.pop()
    }

    /// Pushes `E.reload` and its arguments for the game table on top of the
    /// stack (which stays below them): the caller makes the call (6
    /// arguments), counted like every call into game code.
    func pushReload(lua: LuaState, schema: GameSchema) throws(LuaError) {
        let stack = lua.stack
        let game = stack.top
        stack.push(reload)
        stack.pushCopy(of: game)
        try stack.push(strings: schema.kinds.map(\.name))
        try stack.push(strings: schema.input.map(\.name))
        try stack.push(strings: schema.events.map(\.name))
        try stack.push(strings: schema.clientEvents.map(\.name))
        try stack.push(stringLists: schema.clientEvents.map { $0.fields.map(\.name) })
    }
}
