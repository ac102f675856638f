import Lua
import Protocol

/// A reload in place: new rules loaded into the running match's own Lua
/// state, for games that define `game.reload(match, old_game)`.
///
/// Entities and the match table stay as they are (entities of a kind the
/// new rules no longer declare leave the match); the new `game.lua` runs
/// again, so its module-level state starts afresh, and `game.reload`
/// carries over what it needs (say, rebuilding a `ships` table from
/// `match:each("ship")`). Modules are required anew. The engine's side
/// follows the new declarations: keys, codings, input queues (inputs
/// waiting in them are dropped), and a snapshot history that starts again
/// with a snapshot of the tick the reload happened at, so every client's
/// next frame is full.
///
/// Unlike a rebuild by replay, the match's future is no longer a function
/// of its files and commands from the start: a recording stops at a reload
/// in place, and the session forgets its history (`MatchSession`).
extension Match {
    /// Moves the match to `newGame`'s rules in place. Throws, leaving the
    /// match as it was, when the rules do not load into it (their top level
    /// fails, or `max_players` is below a seated player's id). An error in
    /// `game.reload` itself is a script failure of the match, as in any
    /// callback: the match runs the new rules from there, per its failure
    /// policy.
    public func reloadInPlace(_ newGame: GameDefinition) throws(GameError) {
        guard status.isRunning else { throw GameError(location: nil, message: "the match is over") }
        if let highest = seats.indices.last(where: { seats[$0] != nil }), highest > newGame.maxPlayers {
            throw GameError(location: newGame.chunkName,
                            message: "game.max_players \(newGame.maxPlayers) is below seated player \(highest)")
        }
        let stack = lua.stack
        let base = stack.top
        defer { stack.setTop(base) }
        let newKeys: SchemaKeys
        do {
            try lua.forgetModules()
            try lua.load(source: newGame.source, chunkName: newGame.chunkName)
            try lua.call(arguments: 0, results: 1)
            guard stack.type(at: -1) == .table else {
                throw GameError(location: newGame.chunkName, message: "game.lua must end with `return game`")
            }
            newKeys = try SchemaKeys(lua: lua, schema: newGame.schema, visibility: newGame.visibility)
        } catch let error as GameError {
            throw error
        } catch let error as LuaError {
            throw designerError(error, context: "the new rules did not load")
        } catch {
            throw GameError(location: newGame.chunkName, message: "\(error)")
        }
        keys.release(from: lua)
        keys = newKeys
        game = newGame
        dt = 1 / Double(newGame.tickRate)
        coding = SnapshotCoding(newGame.schema)
        inputQuantizers = newGame.schema.input.map(\.type.quantizer)
        cpuSpending = CPUSpending(budget: options.cpuBudget, period: .seconds(1) / newGame.tickRate)
        var resized: [Seat?] = Array(repeating: nil, count: newGame.maxPlayers + 1)
        for id in seats.indices where id < resized.count {
            guard let seat = seats[id] else { continue }
            resized[id] = Seat(name: seat.name, inputs: InputQueue(width: newGame.schema.input.count,
                                                                    capacity: options.inputQueueCapacity))
        }
        seats = resized
        let cpuStart = options.cpuClock()
        do throws(LuaError) {
            try entry.pushReload(lua: lua, schema: newGame.schema)
            try callLua(arguments: 6, results: 0)
        } catch {
            recordFailure(error, during: "reload")
            compactAfterFailure()
        }
        chargeCPU(since: cpuStart)
        let history = Self.history(options, newGame)
        if history != snapshots.capacity { views = ViewRing(capacity: history) }
        snapshots = SnapshotRing(capacity: history)
        snapshotBytes = Array(repeating: 0, count: history)
        historyBytes = 0
        frames = FrameCache(tick: -1)
        takeSnapshot()
    }
}
