/// The state part of a `snapshot` message: what changed from a baseline
/// snapshot to the current one (docs/protocol.md, "snapshot").
///
///     match    bool changed [mask, changed values]
///     removed  count(r), r × gamma(id gap)
///     added    count(a), a × (gamma(id gap), int kind, full values)
///     changed  count(c), c × (gamma(id gap), bool same mask as the last
///              changed entity of its kind [else mask], changed values)
///     align
///
/// Both snapshots list entities sorted by id, so one merge-join finds the
/// three sets. A missing baseline is the empty state: no entities, every
/// match field 0 or "". Changed values may be coded from a prediction: the
/// baseline extrapolated from `prior`, the state the client held before the
/// baseline (`FieldCoding.changed`). Encoding is the same for every client
/// that shares the baseline and the prior, so a server encodes it once per
/// pair per tick.
public enum SnapshotDelta {
    /// Most entities a snapshot may hold; a decoder refuses more.
    public static let maxEntities = 65_535

    // MARK: Encoding

    /// Appends the delta from `baseline` (nil: the empty state) to `current`,
    /// predicting from `prior` (nil: no prediction; ignored without a
    /// baseline; else older than the baseline, and `current` at most
    /// `PredictionGaps.maxAhead` ticks after the baseline).
    ///
    /// Counts precede items, so a first merge-join over the two sorted
    /// entity lists counts each section and notes which kept entities
    /// changed; removed and added are then written by a merge-join each, and
    /// changed from the notes. Encoding allocates nothing but the writer's
    /// buffer (and the notes, for large snapshots).
    ///
    /// Both snapshots must be valid, which is why the writes below are
    /// `try!` and `writeGamma` (they trap on a value the stream cannot hold,
    /// "writes assert"): entity ids strictly increasing in 1...2^32 - 1 (so
    /// every id gap is ≥ 1 and the subtraction cannot wrap), at most
    /// `maxEntities` entities, kinds within the schema, every value within
    /// its field's range and every string index in the string table. The
    /// engine guarantees it for every snapshot it takes (`Match.takeSnapshot`
    /// checks ids against its own record and quantizers clamp every value);
    /// `decode` guarantees it for every snapshot it returns.
    public static func encode(from baseline: Snapshot?, prior: Snapshot? = nil, to current: Snapshot, coding: SnapshotCoding, into w: inout BitWriter) {
        let base = baseline ?? Snapshot.empty
        let gaps = gaps(current: current.tick, baseline: baseline, prior: prior)
        let prior = gaps.isNone ? Snapshot.empty : prior ?? Snapshot.empty
        encodeMatch(from: base, baseline != nil, prior: prior, gaps, to: current, coding: coding, into: &w)

        // One pass counts the sections and notes the kept entities whose
        // fields changed (in a scratch buffer, on the stack when small), so
        // each kept entity's fields are compared once.
        let kept = min(base.entities.count, current.entities.count)
        withUnsafeTemporaryAllocation(of: (Int32, Int32).self, capacity: max(kept, 1)) { changed in
            var counts = (removed: 0, added: 0, changed: 0)
            mergeJoin(base, current) { pair in
                switch pair {
                case .removed: counts.removed += 1
                case .added: counts.added += 1
                case .kept(let i, let j):
                    if !sameFields(base, base.entities[i].offset, current, current.entities[j].offset,
                                   coding.kinds[Int(current.entities[j].kind)]) {
                        changed[counts.changed] = (Int32(i), Int32(j))
                        counts.changed += 1
                    }
                }
            }

            var n = counts.removed
            try! w.count(&n, limit: maxEntities)
            var previous: UInt32 = 0
            mergeJoin(base, current) { pair in
                guard case .removed(let i) = pair else { return }
                let id = base.entities[i].id
                w.writeGamma(UInt64(id - previous))
                previous = id
            }

            n = counts.added
            try! w.count(&n, limit: maxEntities)
            previous = 0
            let kindRange = 0...max(0, coding.kinds.count - 1)
            mergeJoin(base, current) { pair in
                guard case .added(let j) = pair else { return }
                let e = current.entities[j]
                w.writeGamma(UInt64(e.id - previous))
                previous = e.id
                var kind = Int(e.kind)
                try! w.integer(&kind, in: kindRange)
                var at = Int(e.offset)
                for field in coding.kinds[kind] {
                    writeFull(field, current, at, into: &w)
                    at += 1
                }
            }

            n = counts.changed
            try! w.count(&n, limit: maxEntities)
            previous = 0
            var lastMasks = MaskMemory()
            var p = 0
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(coding.modeSlots, 1)) { modes in
                modes.initialize(repeating: FieldCoding.firstMode)
                for (i, j) in changed.prefix(counts.changed) {
                    let e = current.entities[Int(j)]
                    let o = base.entities[Int(i)]
                    w.writeGamma(UInt64(e.id - previous))
                    previous = e.id
                    let priorOffset = find(e, in: prior, from: &p)
                    let mask = writeChanges(coding.kinds[Int(e.kind)], from: base, o.offset, prior: prior, priorOffset, gaps,
                                            to: current, e.offset, lastMask: lastMasks[Int(e.kind)],
                                            modes: modes, slot: coding.modeSlot[Int(e.kind)], into: &w)
                    lastMasks[Int(e.kind)] = mask
                }
            }
        }
        w.alignToByte()
    }

    /// The gaps of a prediction from `prior`, or none when there is no
    /// baseline or prior, or the tick is more than `PredictionGaps.maxAhead`
    /// past the baseline (the header never names a prior then).
    static func gaps(current: Int, baseline: Snapshot?, prior: Snapshot?) -> PredictionGaps {
        guard let baseline, let prior, prior.tick < baseline.tick, current - baseline.tick <= PredictionGaps.maxAhead else { return .none }
        return PredictionGaps(ahead: current - baseline.tick, behind: baseline.tick - prior.tick)
    }

    /// The offset of `e`'s values in `prior` when it holds `e` with the same
    /// kind (-1: not), walking `prior`'s entities from `index` in id order.
    @inline(__always)
    private static func find(_ e: Snapshot.Entity, in prior: Snapshot, from index: inout Int) -> Int32 {
        let list = prior.entities
        while index < list.count, list[index].id < e.id { index += 1 }
        guard index < list.count, list[index].id == e.id, list[index].kind == e.kind else { return -1 }
        return list[index].offset
    }

    private enum Pair {
        case removed(Int)
        case added(Int)
        case kept(Int, Int)
    }

    /// Walks both sorted entity lists once, in id order. An id whose kind
    /// changed is removed and added.
    @inline(__always)
    private static func mergeJoin(_ old: Snapshot, _ new: Snapshot, _ body: (Pair) -> Void) {
        var i = 0, j = 0
        let a = old.entities, b = new.entities
        while i < a.count || j < b.count {
            if j == b.count || (i < a.count && a[i].id < b[j].id) {
                body(.removed(i)); i += 1
            } else if i == a.count || b[j].id < a[i].id {
                body(.added(j)); j += 1
            } else {
                if a[i].kind == b[j].kind {
                    body(.kept(i, j))
                } else {
                    body(.removed(i))
                    body(.added(j))
                }
                i += 1; j += 1
            }
        }
    }

    /// The last mask written per kind, without a heap array for the common
    /// case of a few kinds.
    private struct MaskMemory {
        private var few: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        private var more: [Int: UInt64] = [:]

        subscript(kind: Int) -> UInt64 {
            get {
                switch kind {
                case 0: few.0
                case 1: few.1
                case 2: few.2
                case 3: few.3
                default: more[kind] ?? 0
                }
            }
            set {
                switch kind {
                case 0: few.0 = newValue
                case 1: few.1 = newValue
                case 2: few.2 = newValue
                case 3: few.3 = newValue
                default: more[kind] = newValue
                }
            }
        }
    }

    /// A full value of field `field` stored at `at` in `s`.
    @inline(__always)
    private static func writeFull(_ field: FieldCoding, _ s: Snapshot, _ at: Int, into w: inout BitWriter) {
        var q = s.values[at]
        if field.isString {
            w.writeBytes(s.strings.bytes(at: Int(q)), maxBytes: field.maxBytes)
        } else {
            var none: [UInt8] = []
            try! field.full(&q, bytes: &none, &w)
        }
    }

    private static func encodeMatch(from base: Snapshot, _ hasBaseline: Bool, prior: Snapshot, _ gaps: PredictionGaps,
                                    to current: Snapshot, coding: SnapshotCoding, into w: inout BitWriter) {
        let fields = coding.match
        var mask: UInt64 = 0
        for f in fields.indices where !sameMatchField(base, hasBaseline, current, f, fields[f]) { mask |= 1 << UInt64(f) }
        var changed = mask != 0
        try! w.bool(&changed)
        guard changed else { return }
        w.write(mask, count: fields.count)
        for f in fields.indices where mask & (1 << UInt64(f)) != 0 {
            let field = fields[f]
            if field.isString {
                w.writeBytes(current.strings.bytes(at: Int(current.match[f])), maxBytes: field.maxBytes)
            } else {
                var q = current.match[f]
                var none: [UInt8] = []
                var mode = FieldCoding.firstMode
                let reference = gaps.isNone ? PredictionReference.none : PredictionReference(prior: prior.match[f], gaps: gaps)
                try! field.changed(&q, from: hasBaseline ? base.match[f] : 0, reference: reference, mode: &mode, bytes: &none, &w)
            }
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

    /// Writes a changed entity's mask (or one bit: the same mask as the
    /// previous changed entity of its kind) and changed values; returns the mask.
    private static func writeChanges(_ fields: [FieldCoding], from base: Snapshot, _ bo: Int32,
                                     prior: Snapshot, _ po: Int32, _ gaps: PredictionGaps,
                                     to current: Snapshot, _ co: Int32, lastMask: UInt64,
                                     modes: UnsafeMutableBufferPointer<UInt8>, slot: Int, into w: inout BitWriter) -> UInt64 {
        var mask: UInt64 = 0
        for f in fields.indices where fieldDiffers(fields[f], base, Int(bo) + f, current, Int(co) + f) {
            mask |= 1 << UInt64(f)
        }
        if mask == lastMask {
            w.write(1, count: 1)
        } else {
            w.write(0, count: 1)
            w.write(mask, count: fields.count)
        }
        for f in fields.indices where mask & (1 << UInt64(f)) != 0 {
            let field = fields[f]
            if field.isString {
                w.writeBytes(current.strings.bytes(at: Int(current.values[Int(co) + f])), maxBytes: field.maxBytes)
            } else {
                var q = current.values[Int(co) + f]
                var none: [UInt8] = []
                let reference = po < 0 ? PredictionReference.none : PredictionReference(prior: prior.values[Int(po) + f], gaps: gaps)
                try! field.changed(&q, from: base.values[Int(bo) + f], reference: reference, mode: &modes[slot + f], bytes: &none, &w)
            }
        }
        return mask
    }

    @inline(__always)
    private static func fieldDiffers(_ field: FieldCoding, _ a: Snapshot, _ i: Int, _ b: Snapshot, _ j: Int) -> Bool {
        field.isString
            ? !a.strings.bytes(at: Int(a.values[i])).elementsEqual(b.strings.bytes(at: Int(b.values[j])))
            : a.values[i] != b.values[j]
    }

    // MARK: Decoding

    /// Reads a delta and applies it to `baseline` (nil: the empty state),
    /// predicting from `prior` (nil: none; older than the baseline), giving
    /// the state at `tick`. Every id, count, kind and value is checked; a
    /// delta that does not fit the baseline is refused.
    ///
    /// One pass: removed ids and added entities are read first (they come
    /// first), then the baseline is walked in id order, merging the added
    /// ones in and reading each changed entity from the stream as its id
    /// comes up, straight into the new state.
    public static func decode(_ r: inout BitReader, baseline: Snapshot?, prior: Snapshot? = nil, tick: Int,
                              coding: SnapshotCoding) throws(ProtocolError) -> Snapshot {
        let base = baseline ?? Snapshot.empty
        let gaps = gaps(current: tick, baseline: baseline, prior: prior)
        let prior = gaps.isNone ? Snapshot.empty : prior ?? Snapshot.empty
        var strings = StringTable()
        var values: [Int64] = []
        values.reserveCapacity(base.values.count + 64)
        var bytes: [UInt8] = []

        // Match fields.
        var matchValues: [Int64] = []
        matchValues.reserveCapacity(coding.match.count)
        var matchChanged = false
        try r.bool(&matchChanged)
        var mask = [Bool](repeating: false, count: max(coding.match.count, coding.maxFields))
        if matchChanged {
            for f in 0..<coding.match.count { try r.bool(&mask[f]) }
            guard mask.contains(true) else { throw ProtocolError(.outOfRange, "the match is listed as changed with no field changed") }
        }
        for (f, field) in coding.match.enumerated() {
            let old = baseline == nil ? 0 : base.match[f]
            if mask[f] {
                var q: Int64 = 0
                bytes.removeAll(keepingCapacity: true)
                var mode = FieldCoding.firstMode
                let reference = gaps.isNone ? PredictionReference.none : PredictionReference(prior: prior.match[f], gaps: gaps)
                try field.changed(&q, from: old, reference: reference, mode: &mode, bytes: &bytes, &r)
                matchValues.append(field.isString ? Int64(strings.append(bytes)) : q)
            } else if field.isString {
                matchValues.append(Int64(baseline == nil ? strings.append([]) : strings.append(base.strings.bytes(at: Int(old)))))
            } else {
                matchValues.append(old)
            }
        }

        // Removed: sorted ids, each in the baseline.
        var removedCount = 0
        try r.count(&removedCount, limit: base.entities.count)
        var removed: [UInt32] = []
        removed.reserveCapacity(removedCount)
        var previous: UInt64 = 0
        for _ in 0..<removedCount {
            let id = try nextID(&r, after: &previous)
            guard base.entity(id: id) != nil else { throw ProtocolError(.baseline, "removed entity \(id) is not in the baseline") }
            removed.append(id)
        }

        // Added: decoded into a side buffer, merged in below.
        var addedCount = 0
        try r.count(&addedCount, limit: min(maxEntities, r.remainingBits))
        var added: [Snapshot.Entity] = []
        added.reserveCapacity(addedCount)
        var addedValues: [Int64] = []
        var addedStrings = StringTable()
        previous = 0
        let kindRange = 0...max(0, coding.kinds.count - 1)
        for _ in 0..<addedCount {
            let id = try nextID(&r, after: &previous)
            guard !coding.kinds.isEmpty else { throw ProtocolError(.outOfRange, "entity \(id) added but the schema has no kinds") }
            if base.entity(id: id) != nil, !contains(removed, id) {
                throw ProtocolError(.baseline, "added entity \(id) is already in the baseline")
            }
            var kind = 0
            try r.integer(&kind, in: kindRange)
            added.append(Snapshot.Entity(id: id, kind: UInt16(kind), offset: Int32(addedValues.count)))
            for field in coding.kinds[kind] {
                var q: Int64 = 0
                bytes.removeAll(keepingCapacity: true)
                try field.full(&q, bytes: &bytes, &r)
                addedValues.append(field.isString ? Int64(addedStrings.append(bytes)) : q)
            }
        }

        // Changed, read lazily in id order while the baseline is walked.
        var changedLeft = 0
        try r.count(&changedLeft, limit: base.entities.count)
        previous = 0
        var nextChanged: UInt32? = changedLeft > 0 ? try nextID(&r, after: &previous) : nil

        var lastMask = [UInt64](repeating: 0, count: coding.kinds.count)
        var modes = [UInt8](repeating: FieldCoding.firstMode, count: coding.modeSlots)
        var p = 0
        var entities: [Snapshot.Entity] = []
        entities.reserveCapacity(base.entities.count + added.count)
        var a = 0, gone = 0
        for e in base.entities {
            if gone < removed.count, removed[gone] == e.id { gone += 1; continue }
            while a < added.count, added[a].id < e.id {
                appendAdded(added[a], addedValues, addedStrings, coding, &entities, &values, &strings)
                a += 1
            }
            if let changedID = nextChanged, changedID < e.id {
                throw ProtocolError(.baseline, "changed entity \(changedID) is not in the baseline")
            }
            let fields = coding.kinds[Int(e.kind)]
            entities.append(Snapshot.Entity(id: e.id, kind: e.kind, offset: Int32(values.count)))
            var at = Int(e.offset)
            if nextChanged == e.id {
                var sameMask = false
                try r.bool(&sameMask)
                var entityMask = lastMask[Int(e.kind)]
                if !sameMask {
                    entityMask = 0
                    try r.bits(&entityMask, count: fields.count)
                }
                guard entityMask != 0 else {
                    throw ProtocolError(.outOfRange, "entity \(e.id) is listed as changed with no field changed")
                }
                lastMask[Int(e.kind)] = entityMask
                let po = find(e, in: prior, from: &p)
                let slot = coding.modeSlot[Int(e.kind)]
                for (f, field) in fields.enumerated() {
                    let old = base.values[at]
                    if entityMask & (1 << UInt64(f)) != 0 {
                        var q = old
                        bytes.removeAll(keepingCapacity: true)
                        let reference = po < 0 ? PredictionReference.none : PredictionReference(prior: prior.values[Int(po) + f], gaps: gaps)
                        try field.changed(&q, from: old, reference: reference, mode: &modes[slot + f], bytes: &bytes, &r)
                        values.append(field.isString ? Int64(strings.append(bytes)) : q)
                    } else {
                        values.append(field.isString ? Int64(strings.append(base.strings.bytes(at: Int(old)))) : old)
                    }
                    at += 1
                }
                changedLeft -= 1
                nextChanged = changedLeft > 0 ? try nextID(&r, after: &previous) : nil
            } else {
                for field in fields {
                    let q = base.values[at]
                    values.append(field.isString ? Int64(strings.append(base.strings.bytes(at: Int(q)))) : q)
                    at += 1
                }
            }
        }
        if let changedID = nextChanged { throw ProtocolError(.baseline, "changed entity \(changedID) is not in the baseline") }
        while a < added.count {
            appendAdded(added[a], addedValues, addedStrings, coding, &entities, &values, &strings)
            a += 1
        }
        try r.align()
        guard entities.count <= maxEntities else { throw ProtocolError(.outOfRange, "more than \(maxEntities) entities") }
        return Snapshot(tick: tick, match: matchValues, entities: entities, values: values, events: [], strings: strings)
    }

    @inline(__always)
    private static func appendAdded(_ e: Snapshot.Entity, _ addedValues: [Int64], _ addedStrings: StringTable, _ coding: SnapshotCoding,
                                    _ entities: inout [Snapshot.Entity], _ values: inout [Int64], _ strings: inout StringTable) {
        entities.append(Snapshot.Entity(id: e.id, kind: e.kind, offset: Int32(values.count)))
        var at = Int(e.offset)
        for field in coding.kinds[Int(e.kind)] {
            let q = addedValues[at]
            values.append(field.isString ? Int64(strings.append(addedStrings.bytes(at: Int(q)))) : q)
            at += 1
        }
    }

    /// Binary search in sorted ids.
    private static func contains(_ sorted: [UInt32], _ id: UInt32) -> Bool {
        var lo = 0, hi = sorted.count - 1
        while lo <= hi {
            let mid = (lo + hi) / 2
            if sorted[mid] == id { return true }
            if sorted[mid] < id { lo = mid + 1 } else { hi = mid - 1 }
        }
        return false
    }

    /// Reads an id gap; ids go up strictly and fit 32 bits.
    private static func nextID(_ r: inout BitReader, after previous: inout UInt64) throws(ProtocolError) -> UInt32 {
        var gap: UInt64 = 0
        try r.gamma(&gap)
        let (id, overflow) = previous.addingReportingOverflow(gap)
        guard gap >= 1, !overflow, id <= UInt64(UInt32.max) else {
            throw ProtocolError(.outOfRange, "entity id \(overflow ? "past 2^64" : "\(id)") is out of range")
        }
        previous = id
        return UInt32(id)
    }
}
