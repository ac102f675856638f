import Lua

/// Entity ids and kinds belong to the engine.
///
/// Entities are plain tables, so nothing stops the rules from writing
/// `e.id = 0` or `e.kind = "rock"`. The prelude never trusts those fields (it
/// keeps each table's id and kind out of the rules' reach), and the snapshot
/// checks the ones it reads (`takeSnapshot`). When they are wrong, this puts
/// the engine's back and records a script failure, through the match's
/// failure policy like any Lua error, located at the game callback that ran
/// last (the line that defines it: the write itself left no trace); when
/// several ran since the last snapshot (a join, then the tick), the message
/// names them all.
extension Match {
    /// Runs `E.repair` and records what it found as a script failure. If the
    /// repair itself fails (the memory or time limit), that is the failure
    /// recorded; the snapshot then leaves the offending entities out.
    func repairEntities() {
        let stack = lua.stack
        let base = stack.top
        defer { stack.setTop(base) }
        guard stack.reserve(6) else {
            recordFailure(LuaError(kind: .memoryLimit, message: Self.repairFailed + "no room on the Lua stack",
                                   location: game.chunkName), during: "tick")
            return
        }
        stack.push(entry.repair)
        do throws(LuaError) {
            try callLua(arguments: 0, results: 4)
        } catch {
            recordFailure(LuaError(kind: error.kind, message: Self.repairFailed + error.summary,
                                   location: game.chunkName), during: "tick")
            return
        }
        let count = stack.integer(at: -4) ?? 0
        // Only despawned tables were wrong: compacting dropped them.
        guard count > 0 else { return }
        let callbacks = (stack.string(at: -2) ?? "tick").split(separator: ", ").map(String.init)
        let callback = callbacks.last ?? "tick"
        var message = stack.string(at: -3) ?? "entity ids or kinds were changed; they belong to the engine and are read-only"
        if count > 1 { message += " (and \(count - 1) more entit\(count == 2 ? "y" : "ies"))" }
        if callbacks.count > 1 {
            message += "; changed during one of " + callbacks.map { "game.\($0)" }.joined(separator: ", ")
        }
        let location = stack.definitionLocation(ofFunctionAt: -1) ?? game.chunkName
        recordFailure(LuaError(kind: .runtime, message: message, location: location), during: callback)
    }

    private static let repairFailed = "entity ids or kinds were changed by the rules and could not be restored: "
}
