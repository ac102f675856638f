import Lua

/// A client event waiting for its tick: the index among the schema's client
/// events, and its fields (strings as an index into `strings`).
struct PendingClientEvent {
    let event: Int
    let values: [Int64]
    let strings: StringTable
}

extension Match {
    /// Client events one player may have waiting; more are dropped (and
    /// counted) until the next tick takes them.
    public static let clientEventQueueLimit = 16

    /// Queues a client event (decoded from a `client event` message) for the
    /// player's next tick, where `game.event(match, player, name, data)` gets it.
    public func submit(clientEvent event: Int, values: [Int64], strings: StringTable, from playerID: Int) {
        guard seats.indices.contains(playerID), seats[playerID] != nil,
              schema.clientEvents.indices.contains(event), values.count == schema.clientEvents[event].fields.count else { return }
        if seats[playerID]!.clientEvents.count >= Self.clientEventQueueLimit {
            seats[playerID]!.droppedClientEvents += 1
            return
        }
        seats[playerID]!.clientEvents.append(PendingClientEvent(event: event, values: values, strings: strings))
    }

    /// Client events dropped so far because a player sent too many in one tick.
    public var droppedClientEvents: Int { seats.reduce(0) { $0 + ($1?.droppedClientEvents ?? 0) } }

    /// Hands every waiting client event to `game.event`, players in id order,
    /// each player's in arrival order. A failing handler is a script failure
    /// like any other; the remaining events still run.
    func deliverClientEvents() {
        let stack = lua.stack
        for id in 1..<seats.count {
            guard let pending = seats[id]?.clientEvents, !pending.isEmpty else { continue }
            seats[id]!.clientEvents.removeAll(keepingCapacity: true)
            guard game.callbacks.contains("event") else { continue }
            for event in pending {
                let base = stack.top
                let fields = schema.clientEvents[event.event].fields
                do throws(LuaError) {
                    guard stack.reserve(Int32(fields.count + 4)) else {
                        throw LuaError(kind: .memoryLimit, message: "no room on the Lua stack for a client event")
                    }
                    stack.push(entry.clientEvent)
                    stack.push(id)
                    stack.push(event.event + 1)
                    for (value, field) in zip(event.values, fields) {
                        try stack.push(field: value, codec: field.type.quantizer, strings: event.strings)
                    }
                    try callLua(arguments: Int32(fields.count + 2), results: 0)
                } catch {
                    stack.setTop(base)
                    recordFailure(error, during: "event")
                    compactAfterFailure()
                }
            }
        }
    }
}
