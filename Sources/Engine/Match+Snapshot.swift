import Lua

extension Match {
    /// Reads the declared fields of the match and of every live entity once,
    /// quantizes them, and appends the snapshot to the ring and the hash.
    ///
    /// Reads are raw (no metamethods, no allocation in Lua), so a snapshot is
    /// taken whatever state the rules left behind, even after a failed tick.
    func takeSnapshot() {
        let stack = lua.stack
        let base = stack.top
        defer { stack.setTop(base) }
        _ = stack.reserve(8)
        var values: [Int64] = []
        values.reserveCapacity(lastValueCountHint)
        var strings: [[UInt8]] = []
        var entities: [Snapshot.Entity] = []

        stack.push(entry.match)
        var matchValues: [Int64] = []
        matchValues.reserveCapacity(schema.match.fields.count)
        for (field, key) in zip(schema.match.fields, keys.match) {
            stack.rawGet(table: -1, key: key)
            matchValues.append(quantize(field, in: "match", strings: &strings))
            stack.pop()
        }
        stack.pop()

        stack.push(entry.lists)
        for (k, kind) in schema.kinds.enumerated() {
            stack.rawGet(table: -1, index: k + 1)
            let count = stack.rawLength(at: -1)
            if count > 0 {
                entities.reserveCapacity(entities.count + count)
                for i in 1...count {
                    stack.rawGet(table: -1, index: i)
                    stack.rawGet(table: -1, key: keys.id)
                    let id = UInt32(truncatingIfNeeded: stack.integer(at: -1) ?? 0)
                    stack.pop()
                    entities.append(Snapshot.Entity(id: id, kind: UInt16(k), offset: Int32(values.count)))
                    for (field, key) in zip(kind.fields, keys.kinds[k]) {
                        stack.rawGet(table: -1, key: key)
                        values.append(quantize(field, in: kind.name, strings: &strings))
                        stack.pop()
                    }
                    stack.pop()
                }
            }
            stack.pop()
        }
        stack.pop()
        if schema.kinds.count > 1 { entities.sort { $0.id < $1.id } }

        var events: [Snapshot.Event] = []
        stack.push(entry.events)
        let eventSlots = stack.rawLength(at: -1)
        var slot = 1
        while slot + 2 <= eventSlots {
            stack.rawGet(table: -1, index: slot)
            let to = Int(stack.integer(at: -1) ?? 0)
            stack.rawGet(table: -2, index: slot + 1)
            let k = Int(stack.integer(at: -1) ?? 0) - 1
            stack.pop(2)
            if schema.events.indices.contains(k) {
                let event = schema.events[k]
                events.append(Snapshot.Event(to: to, kind: UInt16(k), offset: Int32(values.count)))
                stack.rawGet(table: -1, index: slot + 2)
                for (field, key) in zip(event.fields, keys.events[k]) {
                    stack.rawGet(table: -1, key: key)
                    values.append(quantize(field, in: event.name, strings: &strings))
                    stack.pop()
                }
                stack.pop()
            }
            slot += 3
        }
        stack.pop()

        lastValueCountHint = values.count
        let snapshot = Snapshot(tick: tick, match: matchValues, entities: entities, values: values, events: events, strings: strings)
        snapshots.append(snapshot)
        stateHash.add(snapshot, schema: schema)
    }

    private func quantize(_ field: Field, in owner: String, strings: inout [[UInt8]]) -> Int64 {
        let (value, ok) = lua.stack.quantize(at: -1, as: field.type, strings: &strings, idKey: keys.id)
        if !ok {
            let actual = lua.stack.type(at: -1).name
            warnOnce("\(owner).\(field.name)", "\(owner).\(field.name) is declared \(field.type) but holds a \(actual)")
        }
        return value
    }
}
