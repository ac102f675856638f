import Lua

extension Match {
    /// Reads the declared fields of the match and of every live entity once,
    /// quantizes them, and appends the snapshot to the ring and the hash.
    ///
    /// Reads are raw (no metamethods, no allocation in Lua), so a snapshot is
    /// taken whatever state the rules left behind, even after a failed tick.
    ///
    /// Every snapshot is one the encoder can send (`SnapshotDelta.encode`
    /// relies on it): entity ids are in 1...2^32 - 1 and strictly increasing,
    /// at most `SnapshotDelta.maxEntities`; event recipients are 0 or a seat
    /// number, at most `SnapshotMessage.maxEvents` events. The reader
    /// compares each entity's `id` and `kind` with the engine's own record
    /// (two raw gets per entity), and the ids it reads are checked for range
    /// and order (each list is ordered by id: one comparison per entity, and
    /// one per entity after the merge of several kinds). If the rules wrote
    /// to an `id` or `kind`, the engine's are put back (`repairEntities`, a
    /// script failure) and the snapshot is read again; should that fail too,
    /// the offending entities are left out.
    func takeSnapshot() { takeSnapshot(repaired: false) }

    private func takeSnapshot(repaired: Bool) {
        snapshotStringsOverflowed = false
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

        stack.push(entry.ids)
        let engineIDs = stack.top
        stack.push(entry.lists)
        var broken = false
        // Owners, by entity id, of the kinds whose visibility needs them.
        var owned: [(id: UInt32, owner: UInt8)] = []
        for k in 0..<keys.kinds.count {
            let codecs = keys.kindQuantizers[k]
            stack.rawGet(table: -1, index: k + 1)
            let rows = reader.readList(at: -1, keys: keys.kindReads[k], quantizers: keys.kindReadQuantizers[k], idKey: keys.id,
                                       check: (engineIDs, keys.kind, keys.kindNames[k]), on: stack)
            stack.pop()
            if rows.mismatches > 0 { broken = true }
            let ownerColumn = keys.ownerColumns[k]
            var previous: Int64 = 0
            for row in 0..<rows.count {
                guard let id = rows.id(row: row), id > previous, id <= Int64(UInt32.max) else {
                    broken = true
                    continue
                }
                previous = id
                entities.append(Snapshot.Entity(id: UInt32(id), kind: UInt16(k), offset: Int32(clamping: values.count)))
                quantizeRow(rows, row, codecs, into: &values, strings: &strings, owner: k)
                if let ownerColumn {
                    let (seat, _) = rows.value(row: row, field: ownerColumn)
                    if (1...Int64(Welcome.maxPlayerID)).contains(seat) { owned.append((UInt32(id), UInt8(seat))) }
                }
            }
            if broken && !repaired { break }
        }
        stack.pop(2)
        if keys.kinds.count > 1 && !(broken && !repaired) {
            entities.sort { $0.id < $1.id }
            var unique = true
            entities.withUnsafeBufferPointer { e in
                for i in e.indices.dropFirst() where e[i].id == e[i - 1].id { unique = false; break }
            }
            if !unique {
                broken = true
                if repaired {
                    var j = 0
                    for e in entities where j == 0 || e.id != entities[j - 1].id {
                        entities[j] = e
                        j += 1
                    }
                    entities.removeLast(entities.count - j)
                }
            }
        }
        if broken && !repaired {
            stack.setTop(base)
            repairEntities()
            return takeSnapshot(repaired: true)
        }
        if entities.count > SnapshotDelta.maxEntities {
            // Only when lists were left uncompacted by a failed callback:
            // live entities are capped at the same number.
            entities.removeLast(entities.count - SnapshotDelta.maxEntities)
        }

        var events: [Snapshot.Event] = []
        stack.push(entry.events)
        let eventSlots = stack.rawLength(at: -1)
        var slot = 1
        // The prelude emits only to seated players and refuses more than
        // `maxEvents`; checked again here because the encoder traps otherwise.
        while slot + 2 <= eventSlots, events.count < SnapshotMessage.maxEvents {
            stack.rawGet(table: -1, index: slot)
            let to = stack.integer(at: -1) ?? -1
            stack.rawGet(table: -2, index: slot + 1)
            let k = (stack.integer(at: -1) ?? 0) &- 1
            stack.pop(2)
            if (0...Int64(Welcome.maxPlayerID)).contains(to), (0..<Int64(keys.events.count)).contains(k) {
                let (to, k) = (Int(to), Int(k))
                events.append(Snapshot.Event(to: to, kind: UInt16(k), offset: Int32(clamping: values.count)))
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

        readLock()
        lastValueCountHint = values.count
        lastEntityCountHint = entities.count
        let taken = Snapshot(tick: tick, match: matchValues, entities: entities, values: values, events: events, strings: strings)
        let admitted = admits(taken)
        let snapshot = admitted ? taken : repeatingPreviousState(at: tick)
        let previousFacts = snapshots.latest.flatMap { views.views(tick: $0.tick)?.facts }
        recordHistory(snapshot, shared: !admitted)
        snapshots.append(snapshot)
        stateHash.add(snapshot, coding: coding)
        let facts = admitted ? viewFacts(of: snapshot, owned: owned) : previousFacts
        views.set(facts.map { TickViews(snapshot: snapshot, facts: $0, rules: game.visibility, schema: schema) }, tick: tick)
    }

    /// What decides this tick's views besides the rules, or nil when
    /// everyone sees everything: the game declares no visibility and the
    /// rules set no audience.
    private func viewFacts(of snapshot: Snapshot, owned: [(id: UInt32, owner: UInt8)]) -> ViewFacts? {
        let audiences = readAudiences()
        guard game.visibility.isDeclared || !audiences.isEmpty else { return nil }
        var facts = ViewFacts(audiences: audiences)
        if keys.ownerColumns.contains(where: { $0 != nil }) {
            var owners = [UInt8](repeating: 0, count: snapshot.entities.count)
            // Both lists are by id once sorted: one merge.
            let sorted = keys.kinds.count > 1 ? owned.sorted { $0.id < $1.id } : owned
            var j = 0
            for (i, e) in snapshot.entities.enumerated() where j < sorted.count {
                while j < sorted.count, sorted[j].id < e.id { j += 1 }
                if j < sorted.count, sorted[j].id == e.id { owners[i] = sorted[j].owner }
            }
            facts.owners = owners
        }
        return facts
    }

    /// `match:lock()`'s flag, a raw read of the prelude's `status` table.
    func readLock() {
        let stack = lua.stack
        let base = stack.top
        defer { stack.setTop(base) }
        guard stack.reserve(2) else { return }
        stack.push(entry.status)
        stack.rawGet(table: -1, keyRef: keys.locked)
        isLocked = stack.truthy(at: -1)
    }

    /// The prelude's `audience` table (`match:hide`, `match:show`): entity
    /// id → false, true or a set of seats. Bounded by the live entities
    /// (despawn clears an entry) and seats 1...255.
    private func readAudiences() -> [UInt32: EntityAudience] {
        let stack = lua.stack
        let base = stack.top
        defer { stack.setTop(base) }
        guard stack.reserve(6) else { return [:] }
        stack.push(entry.audience)
        let table = stack.top
        var audiences: [UInt32: EntityAudience] = [:]
        stack.pushNil()
        while stack.next(table: table) {
            defer { stack.pop() }
            guard let id = stack.integer(at: -2), (1...Int64(UInt32.max)).contains(id) else { continue }
            switch stack.type(at: -1) {
            case .boolean: audiences[UInt32(id)] = stack.truthy(at: -1) ? .everyone : .nobody
            case .table:
                var set = PlayerSet()
                let players = stack.top
                stack.pushNil()
                while stack.next(table: players) {
                    if let seat = stack.integer(at: -2) { set.insert(Int(seat)) }
                    stack.pop()
                }
                audiences[UInt32(id)] = .players(set)
            default: break
            }
        }
        return audiences
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
                value = Int64(rows.withBytes(row: row, field: f) { bytes in
                    let kept = FieldType.truncate(bytes, maxBytes: maxBytes)
                    // Strings past one message's worth could never be sent:
                    // they are not copied, and `admits` refuses the snapshot.
                    guard strings.byteCount + kept.count <= MessageType.maxMessageBytes else {
                        snapshotStringsOverflowed = true
                        return strings.append(EmptyCollection<UInt8>())
                    }
                    return strings.append(kept)
                })
            }
            if !ok { warnWrongValue(rows.cell(row: row, field: f), owner: owner, field: f) }
            values.append(value)
        }
    }

    /// A value the field cannot hold: the wrong Lua type, or a number it
    /// cannot hold (NaN, and infinities except in f32).
    private func warnWrongValue(_ cell: LuaCell, owner: Int, field: Int) {
        let set = owner < 0 ? schema.match
            : owner < schema.kinds.count ? schema.kinds[owner] : schema.events[owner - schema.kinds.count]
        let f = set.fields[field]
        let key = "\(set.name).\(f.name)"
        var stored = "0"
        if case .quat = f.type { stored = "the identity" }
        var nonFinite = false
        switch f.type {
        case .integer, .fixed, .angle: nonFinite = cell.type == .number
        case .vec3, .quat: nonFinite = cell.type == .table
        default: break
        }
        if nonFinite {
            switch f.type {
            case .fixed: stored = cell.value == 0 ? "min" : "max"
            case .vec3: stored = "min (NaN), or the nearest end (infinities), on each axis"
            case .integer: stored = "\(cell.value)"
            default: break
            }
            let what = cell.type == .number ? "a number it cannot hold (NaN or infinite)" : "a component that is NaN or infinite"
            warnOnce(key, stored: stored, "\(key) is declared \(f.type) but holds \(what)")
            return
        }
        let actual = cell.type == .table ? "table without an integer id" : cell.type.name
        warnOnce(key, stored: stored, "\(key) is declared \(f.type) but holds a \(actual)")
    }
}
