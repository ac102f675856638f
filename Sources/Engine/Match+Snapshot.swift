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
        var strings = StringTable()
        var entities: [Snapshot.Entity] = []
        entities.reserveCapacity(lastEntityCountHint)

        stack.push(entry.match)
        let matchRows = reader.readFields(at: -1, keys: keys.match, quantizers: keys.matchQuantizers, idKey: keys.id, on: stack)
        quantizeRow(matchRows, 0, keys.matchQuantizers, into: &values, strings: &strings, owner: -1)
        let matchValues = values
        values.removeAll(keepingCapacity: true)
        stack.pop()

        stack.push(entry.lists)
        for k in 0..<keys.kinds.count {
            let codecs = keys.kindQuantizers[k]
            stack.rawGet(table: -1, index: k + 1)
            let rows = reader.readList(at: -1, keys: keys.kinds[k], quantizers: codecs, idKey: keys.id, on: stack)
            stack.pop()
            for row in 0..<rows.count {
                guard let id = rows.id(row: row) else { continue }
                entities.append(Snapshot.Entity(id: UInt32(truncatingIfNeeded: id), kind: UInt16(k), offset: Int32(values.count)))
                quantizeRow(rows, row, codecs, into: &values, strings: &strings, owner: k)
            }
        }
        stack.pop()
        if keys.kinds.count > 1 { entities.sort { $0.id < $1.id } }

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
            if keys.events.indices.contains(k) {
                events.append(Snapshot.Event(to: to, kind: UInt16(k), offset: Int32(values.count)))
                stack.rawGet(table: -1, index: slot + 2)
                let eventRows = reader.readFields(at: -1, keys: keys.events[k], quantizers: keys.eventQuantizers[k], idKey: keys.id, on: stack)
                quantizeRow(eventRows, 0, keys.eventQuantizers[k], into: &values, strings: &strings, owner: keys.kinds.count + k)
                stack.pop()
            }
            slot += 3
        }
        // Delivered: events from init, join, leave and the tick all land in
        // exactly one snapshot.
        stack.clearArray(at: -1)
        stack.pop()

        lastValueCountHint = values.count
        lastEntityCountHint = entities.count
        let taken = Snapshot(tick: tick, match: matchValues, entities: entities, values: values, events: events, strings: strings)
        let admitted = admits(taken)
        let snapshot = admitted ? taken : repeatingPreviousState(at: tick)
        recordHistory(snapshot, shared: !admitted)
        snapshots.append(snapshot)
        stateHash.add(snapshot, coding: coding)
    }

    /// Appends one row the reader holds; string fields go to `strings`.
    /// `owner` names the set in warnings: -1 the match, then kinds, then events.
    @inline(__always)
    private func quantizeRow(_ rows: LuaRows, _ row: Int, _ codecs: [LuaQuantizer], into values: inout [Int64],
                             strings: inout StringTable, owner: Int) {
        for f in 0..<codecs.count {
            var (value, ok) = rows.value(row: row, field: f)
            if codecs[f].kind == .string {
                let maxBytes = Int(codecs[f].upper)
                value = Int64(rows.withBytes(row: row, field: f) { strings.append(FieldType.truncate($0, maxBytes: maxBytes)) })
            }
            if !ok { warnWrongType(rows.cell(row: row, field: f).type, owner: owner, field: f) }
            values.append(value)
        }
    }

    private func warnWrongType(_ type: LuaType, owner: Int, field: Int) {
        let set = owner < 0 ? schema.match
            : owner < schema.kinds.count ? schema.kinds[owner] : schema.events[owner - schema.kinds.count]
        let f = set.fields[field]
        let actual = type == .table ? "table without an integer id" : type.name
        var stored = "0"
        if case .quat = f.type { stored = "the identity" }
        warnOnce("\(set.name).\(f.name)", stored: stored, "\(set.name).\(f.name) is declared \(f.type) but holds a \(actual)")
    }
}
