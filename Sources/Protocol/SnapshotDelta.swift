/// The state part of a `snapshot` message: what changed from a baseline
/// snapshot to the current one (docs/protocol.md, "snapshot").
///
///     match    bool changed [mask, changed values]
///     removed  count(r), r × gamma(id gap)
///     added    count(a), a × (gamma(id gap), int kind, full values)
///     changed  count(c), c × (gamma(id gap), mask, changed values)
///     align
///
/// Both snapshots list entities sorted by id, so one merge-join finds the
/// three sets. A missing baseline is the empty state: no entities, every
/// match field 0 or "". Encoding is the same for every client that shares
/// the baseline, so a server encodes it once per baseline per tick.
public enum SnapshotDelta {
    /// Most entities a snapshot may hold; a decoder refuses more.
    public static let maxEntities = 65_535

    // MARK: Encoding

    /// Appends the delta from `baseline` (nil: the empty state) to `current`.
    public static func encode(from baseline: Snapshot?, to current: Snapshot, coding: SnapshotCoding, into w: inout BitWriter) {
        let empty = Snapshot.empty
        let base = baseline ?? empty
        encodeMatch(from: base, baseline != nil, to: current, coding: coding, into: &w)

        // Merge-join by id: removed, added, and kept (possibly changed).
        var removed: [UInt32] = []
        var added: [Int] = []
        var kept: [(Int, Int)] = []
        var i = 0, j = 0
        let old = base.entities, new = current.entities
        while i < old.count || j < new.count {
            if j == new.count || (i < old.count && old[i].id < new[j].id) {
                removed.append(old[i].id); i += 1
            } else if i == old.count || new[j].id < old[i].id {
                added.append(j); j += 1
            } else {
                if old[i].kind == new[j].kind {
                    kept.append((i, j))
                } else {
                    removed.append(old[i].id)
                    added.append(j)
                }
                i += 1; j += 1
            }
        }
        let kindRange = 0...max(0, coding.kinds.count - 1)

        var n = removed.count
        try! w.count(&n, limit: maxEntities)
        var previous: UInt32 = 0
        for id in removed {
            var gap = UInt64(id - previous)
            try! w.gamma(&gap)
            previous = id
        }

        n = added.count
        try! w.count(&n, limit: maxEntities)
        previous = 0
        for index in added {
            let e = new[index]
            var gap = UInt64(e.id - previous)
            try! w.gamma(&gap)
            previous = e.id
            var kind = Int(e.kind)
            try! w.integer(&kind, in: kindRange)
            let fields = coding.kinds[kind]
            var at = Int(e.offset)
            for field in fields {
                var q = current.values[at]
                var bytes = field.isString ? Array(current.strings.bytes(at: Int(q))) : []
                try! field.full(&q, bytes: &bytes, &w)
                at += 1
            }
        }

        // Changed entities: count them first (the count precedes them).
        var changed: [(Int, Int)] = []
        for (oi, nj) in kept where !sameFields(base, old[oi].offset, current, new[nj].offset, coding.kinds[Int(new[nj].kind)]) {
            changed.append((oi, nj))
        }
        n = changed.count
        try! w.count(&n, limit: maxEntities)
        previous = 0
        for (oi, nj) in changed {
            let e = new[nj]
            var gap = UInt64(e.id - previous)
            try! w.gamma(&gap)
            previous = e.id
            writeChanges(coding.kinds[Int(e.kind)], from: base, old[oi].offset, to: current, e.offset, into: &w)
        }
        w.alignToByte()
    }

    private static func encodeMatch(from base: Snapshot, _ hasBaseline: Bool, to current: Snapshot, coding: SnapshotCoding, into w: inout BitWriter) {
        let fields = coding.match
        var changed = false
        for f in fields.indices where !sameMatchField(base, hasBaseline, current, f, fields[f]) { changed = true; break }
        try! w.bool(&changed)
        guard changed else { return }
        var mask: [Bool] = []
        mask.reserveCapacity(fields.count)
        for f in fields.indices { mask.append(!sameMatchField(base, hasBaseline, current, f, fields[f])) }
        for var bit in mask { try! w.bool(&bit) }
        for f in fields.indices where mask[f] {
            var q = current.match[f]
            var bytes = fields[f].isString ? Array(current.strings.bytes(at: Int(q))) : []
            let baselineValue = hasBaseline ? base.match[f] : 0
            try! fields[f].changed(&q, from: baselineValue, bytes: &bytes, &w)
        }
    }

    private static func sameMatchField(_ base: Snapshot, _ hasBaseline: Bool, _ current: Snapshot, _ f: Int, _ field: FieldCoding) -> Bool {
        let q = current.match[f]
        if field.isString {
            let now = current.strings.bytes(at: Int(q))
            return hasBaseline ? now.elementsEqual(base.strings.bytes(at: Int(base.match[f]))) : now.isEmpty
        }
        return q == (hasBaseline ? base.match[f] : 0)
    }

    private static func sameFields(_ a: Snapshot, _ ao: Int32, _ b: Snapshot, _ bo: Int32, _ fields: [FieldCoding]) -> Bool {
        var i = Int(ao), j = Int(bo)
        for field in fields {
            if field.isString {
                if !a.strings.bytes(at: Int(a.values[i])).elementsEqual(b.strings.bytes(at: Int(b.values[j]))) { return false }
            } else if a.values[i] != b.values[j] {
                return false
            }
            i += 1; j += 1
        }
        return true
    }

    private static func writeChanges(_ fields: [FieldCoding], from base: Snapshot, _ bo: Int32, to current: Snapshot, _ co: Int32,
                                     into w: inout BitWriter) {
        var i = Int(bo), j = Int(co)
        var differs: [Bool] = []
        differs.reserveCapacity(fields.count)
        for field in fields {
            let same = field.isString
                ? base.strings.bytes(at: Int(base.values[i])).elementsEqual(current.strings.bytes(at: Int(current.values[j])))
                : base.values[i] == current.values[j]
            var bit = !same
            try! w.bool(&bit)
            differs.append(bit)
            i += 1; j += 1
        }
        i = Int(bo); j = Int(co)
        for (f, field) in fields.enumerated() {
            if differs[f] {
                var q = current.values[j]
                var bytes = field.isString ? Array(current.strings.bytes(at: Int(q))) : []
                try! field.changed(&q, from: base.values[i], bytes: &bytes, &w)
            }
            i += 1; j += 1
        }
    }

    // MARK: Decoding

    /// Reads a delta and applies it to `baseline` (nil: the empty state),
    /// giving the state at `tick`. Every id, count, kind and value is
    /// checked; a delta that does not fit the baseline is refused.
    public static func decode(_ r: inout BitReader, baseline: Snapshot?, tick: Int, coding: SnapshotCoding) throws(ProtocolError) -> Snapshot {
        let base = baseline ?? Snapshot.empty
        var strings = StringTable()
        var values: [Int64] = []
        values.reserveCapacity(base.values.count + 64)

        // Match fields.
        var matchValues: [Int64] = []
        var matchChanged = false
        try r.bool(&matchChanged)
        var mask = [Bool](repeating: false, count: coding.match.count)
        if matchChanged { for f in mask.indices { try r.bool(&mask[f]) } }
        for (f, field) in coding.match.enumerated() {
            let old = baseline.map { $0.match[f] } ?? 0
            let oldBytes: ArraySlice<UInt8> = field.isString && baseline != nil ? base.strings.bytes(at: Int(old)) : []
            if mask[f] {
                var q: Int64 = 0
                var bytes: [UInt8] = []
                try field.changed(&q, from: old, bytes: &bytes, &r)
                matchValues.append(field.isString ? Int64(strings.append(bytes)) : q)
            } else {
                matchValues.append(field.isString ? Int64(strings.append(oldBytes)) : old)
            }
        }

        // Removed.
        var removedCount = 0
        try r.count(&removedCount, limit: min(maxEntities, base.entities.count))
        var removed = Set<UInt32>()
        var previous: UInt64 = 0
        for _ in 0..<removedCount {
            let id = try nextID(&r, after: &previous)
            guard base.entity(id: id) != nil else { throw ProtocolError(.baseline, "removed entity \(id) is not in the baseline") }
            removed.insert(id)
        }

        // Added: decoded now, merged below.
        var addedCount = 0
        try r.count(&addedCount, limit: min(maxEntities, r.remainingBits))
        var added: [(id: UInt32, kind: Int, values: [Int64], strings: [[UInt8]])] = []
        added.reserveCapacity(addedCount)
        previous = 0
        let kindRange = 0...max(0, coding.kinds.count - 1)
        for _ in 0..<addedCount {
            let id = try nextID(&r, after: &previous)
            guard !coding.kinds.isEmpty else { throw ProtocolError(.outOfRange, "entity \(id) added but the schema has no kinds") }
            if let existing = base.entity(id: id), !removed.contains(existing.id) {
                throw ProtocolError(.baseline, "added entity \(id) is already in the baseline")
            }
            var kind = 0
            try r.integer(&kind, in: kindRange)
            var fieldValues: [Int64] = []
            var fieldStrings: [[UInt8]] = []
            for field in coding.kinds[kind] {
                var q: Int64 = 0
                var bytes: [UInt8] = []
                try field.full(&q, bytes: &bytes, &r)
                if field.isString { fieldStrings.append(bytes); q = Int64(fieldStrings.count - 1) }
                fieldValues.append(q)
            }
            added.append((id, kind, fieldValues, fieldStrings))
        }

        // Changed: applied to copies of the baseline's fields.
        var changedCount = 0
        try r.count(&changedCount, limit: min(maxEntities, base.entities.count))
        var changes: [UInt32: ([Int64], [[UInt8]])] = [:]
        previous = 0
        for _ in 0..<changedCount {
            let id = try nextID(&r, after: &previous)
            guard let e = base.entity(id: id), !removed.contains(id) else {
                throw ProtocolError(.baseline, "changed entity \(id) is not in the baseline")
            }
            let fields = coding.kinds[Int(e.kind)]
            var fieldMask = [Bool](repeating: false, count: fields.count)
            for f in fieldMask.indices { try r.bool(&fieldMask[f]) }
            guard fieldMask.contains(true) else { throw ProtocolError(.outOfRange, "entity \(id) is listed as changed with no field changed") }
            var fieldValues: [Int64] = []
            var fieldStrings: [[UInt8]] = []
            var at = Int(e.offset)
            for (f, field) in fields.enumerated() {
                let old = base.values[at]
                var q = old
                var bytes: [UInt8] = field.isString ? Array(base.strings.bytes(at: Int(old))) : []
                if fieldMask[f] { try field.changed(&q, from: old, bytes: &bytes, &r) }
                if field.isString { fieldStrings.append(bytes); q = Int64(fieldStrings.count - 1) }
                fieldValues.append(q)
                at += 1
            }
            changes[id] = (fieldValues, fieldStrings)
        }
        try r.align()

        // Merge the survivors of the baseline (changed or not) with the added.
        var entities: [Snapshot.Entity] = []
        entities.reserveCapacity(base.entities.count - removed.count + added.count)
        var a = 0
        func appendAdded() {
            let n = added[a]
            entities.append(Snapshot.Entity(id: n.id, kind: UInt16(n.kind), offset: Int32(values.count)))
            for (f, field) in coding.kinds[n.kind].enumerated() {
                values.append(field.isString ? Int64(strings.append(n.strings[Int(n.values[f])])) : n.values[f])
            }
            a += 1
        }
        for e in base.entities where !removed.contains(e.id) {
            while a < added.count, added[a].id < e.id { appendAdded() }
            entities.append(Snapshot.Entity(id: e.id, kind: e.kind, offset: Int32(values.count)))
            let fields = coding.kinds[Int(e.kind)]
            if let (newValues, newStrings) = changes[e.id] {
                for (f, field) in fields.enumerated() {
                    values.append(field.isString ? Int64(strings.append(newStrings[Int(newValues[f])])) : newValues[f])
                }
            } else {
                var at = Int(e.offset)
                for field in fields {
                    let q = base.values[at]
                    values.append(field.isString ? Int64(strings.append(base.strings.bytes(at: Int(q)))) : q)
                    at += 1
                }
            }
        }
        while a < added.count { appendAdded() }
        guard entities.count <= maxEntities else { throw ProtocolError(.outOfRange, "more than \(maxEntities) entities") }
        return Snapshot(tick: tick, match: matchValues, entities: entities, values: values, events: [], strings: strings)
    }

    /// Reads an id gap; ids go up strictly and fit 32 bits.
    private static func nextID(_ r: inout BitReader, after previous: inout UInt64) throws(ProtocolError) -> UInt32 {
        var gap: UInt64 = 0
        try r.gamma(&gap)
        let id = previous + gap
        guard gap >= 1, id <= UInt64(UInt32.max) else { throw ProtocolError(.outOfRange, "entity id \(id) is out of range") }
        previous = id
        return UInt32(id)
    }
}

extension Snapshot {
    /// The state before anything: no entities, no match values. Deltas from
    /// it are full snapshots.
    public static let empty = Snapshot(tick: 0, match: [], entities: [], values: [], events: [], strings: StringTable())

    /// The entity with `id`, by binary search.
    public func entity(id: UInt32) -> Entity? {
        var lo = 0, hi = entities.count - 1
        while lo <= hi {
            let mid = (lo + hi) / 2
            let e = entities[mid]
            if e.id == id { return e }
            if e.id < id { lo = mid + 1 } else { hi = mid - 1 }
        }
        return nil
    }
}

/// The `FieldCoding` of every field of a schema, built once per schema.
public struct SnapshotCoding: Sendable {
    public let schema: GameSchema
    public let match: [FieldCoding]
    public let kinds: [[FieldCoding]]
    public let events: [[FieldCoding]]
    public let input: [FieldCoding]

    public init(_ schema: GameSchema) {
        self.schema = schema
        match = schema.match.fields.map { FieldCoding($0.type) }
        kinds = schema.kinds.map { $0.fields.map { FieldCoding($0.type) } }
        events = schema.events.map { $0.fields.map { FieldCoding($0.type) } }
        input = schema.input.map { FieldCoding($0.type) }
    }
}
