/// Whose view of a match a frame shows.
public enum Viewer: Sendable, Hashable {
    /// The whole state (a spectator of a game that allows it, a headless
    /// observer, a replay).
    case everything
    /// What this player may see.
    case player(Int)
    /// What every player may see: no private field, no entity shown to a
    /// list of players or its owner only.
    case `public`
}

/// Seats 1...255 as a bit set: who the rules showed an entity to.
struct PlayerSet: Sendable, Hashable {
    private var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    mutating func insert(_ player: Int) {
        guard (0..<256).contains(player) else { return }
        let bit = UInt64(1) << UInt64(player & 63)
        switch player >> 6 {
        case 0: words.0 |= bit
        case 1: words.1 |= bit
        case 2: words.2 |= bit
        default: words.3 |= bit
        }
    }

    func contains(_ player: Int) -> Bool {
        guard (0..<256).contains(player) else { return false }
        let word = switch player >> 6 {
        case 0: words.0
        case 1: words.1
        case 2: words.2
        default: words.3
        }
        return word & (UInt64(1) << UInt64(player & 63)) != 0
    }

    static func == (a: PlayerSet, b: PlayerSet) -> Bool { a.words == b.words }
    func hash(into hasher: inout Hasher) {
        hasher.combine(words.0); hasher.combine(words.1); hasher.combine(words.2); hasher.combine(words.3)
    }
}

/// Who sees one entity, where the rules said so (`match:hide`, `match:show`).
enum EntityAudience: Sendable, Equatable {
    case nobody
    case everyone
    case players(PlayerSet)
}

/// What decides the views of one tick besides the rules: read with the
/// snapshot, so a view of an old tick (a lagging player's baseline) is the
/// one that player was sent.
struct ViewFacts: Sendable {
    /// The owner's seat of each entity (by index in the snapshot), 0 for
    /// none; empty when no kind needs owners.
    var owners: [UInt8] = []
    /// Audiences the rules set, by entity id.
    var audiences: [UInt32: EntityAudience] = [:]
}

/// The views of one tick: each viewer's part of the snapshot, made the first
/// time a frame needs it and kept while the tick can be a baseline. Viewers
/// whose views hold the same entities share one view (and so one encode).
///
/// A view is a `Snapshot` sharing the tick's storage: its entity list is
/// the visible entities, and an entity whose private fields the viewer may
/// not read points at a masked copy of its values (each private field as
/// if it were nil), appended once per tick.
final class TickViews {
    let snapshot: Snapshot
    let facts: ViewFacts
    let rules: GameVisibility
    let schema: GameSchema

    /// The snapshot with masked copies appended, and each entity's masked
    /// offset (-1: no private field); made on first need.
    private var masked: (snapshot: Snapshot, offsets: [Int32])?
    private var spatial: SpatialInterest?
    private var viewOf: [Viewer: Int] = [:]
    private var views: [Snapshot] = []
    /// View ids by a fingerprint of their entity lists (the lists are
    /// compared on a match; a view whose fingerprint another view took is
    /// simply not shared): cheaper than hashing whole lists.
    private var interned: [UInt64: Int] = [:]

    init(snapshot: Snapshot, facts: ViewFacts, rules: GameVisibility, schema: GameSchema) {
        self.snapshot = snapshot
        self.facts = facts
        self.rules = rules
        self.schema = schema
    }

    /// Distinct views made so far.
    var viewCount: Int { views.count }

    /// `viewer`'s view: an id unique within the tick (-1: the whole
    /// snapshot) and the snapshot to encode.
    func view(for viewer: Viewer) -> (id: Int, snapshot: Snapshot) {
        if viewer == .everything { return (-1, snapshot) }
        if let id = viewOf[viewer] { return (id, views[id]) }
        let (entities, fingerprint, masks) = visibleEntities(for: viewer)
        let id: Int
        if let known = interned[fingerprint], views[known].entities == entities {
            id = known
        } else {
            id = views.count
            let base = masks ? maskedSnapshot().snapshot : snapshot
            views.append(Snapshot(tick: snapshot.tick, match: snapshot.match, entities: entities, values: base.values,
                                  events: [], strings: base.strings))
            if interned[fingerprint] == nil { interned[fingerprint] = id }
        }
        viewOf[viewer] = id
        return (id, views[id])
    }

    /// Drops what only the tick's own frames need (its spatial index); the
    /// views stay, as baselines.
    func settle() { spatial = nil }

    // MARK: Choosing entities

    /// The entities `viewer` sees, in id order, a fingerprint of the list,
    /// and whether some entity points at a masked copy.
    private func visibleEntities(for viewer: Viewer) -> ([Snapshot.Entity], fingerprint: UInt64, masks: Bool) {
        let all = snapshot.entities
        let player: Int
        switch viewer {
        case .everything: return (all, 0, false)
        case .player(let p): player = p
        case .public: player = 0
        }
        var picked: [Int] = []
        if rules.interest != nil, player > 0 {
            let index = spatialIndex()
            picked = index.near(player: player)
            for i in index.unplaced where sees(player, i) { picked.append(i) }
            picked.sort()
        } else {
            picked.reserveCapacity(all.count)
            for i in all.indices where sees(player, i) { picked.append(i) }
        }
        var result: [Snapshot.Entity] = []
        result.reserveCapacity(picked.count)
        var fingerprint: UInt64 = 0xCBF2_9CE4_8422_2325
        var masks = false
        var maskedOffsets: [Int32]?
        var last = -1
        for i in picked where i != last {
            last = i
            var e = all[i]
            let kind = rules.kinds[Int(e.kind)]
            if !kind.privateFields.isEmpty, player == 0 || owner(i) != player {
                if maskedOffsets == nil { maskedOffsets = maskedSnapshot().offsets }
                e = Snapshot.Entity(id: e.id, kind: e.kind, offset: maskedOffsets?[i] ?? e.offset)
                masks = true
            }
            result.append(e)
            fingerprint = (fingerprint ^ (UInt64(e.id) << 32 | UInt64(UInt32(bitPattern: e.offset)))) &* 0x0000_0100_0000_01B3
        }
        return (result, fingerprint, masks)
    }

    func owner(_ i: Int) -> Int { facts.owners.isEmpty ? 0 : Int(facts.owners[i]) }

    /// Whether `player` (0: the public) sees entity `i`, distance aside.
    /// With interest, entities the index places are decided by distance
    /// and ownership instead (`SpatialInterest.near`).
    func sees(_ player: Int, _ i: Int) -> Bool {
        let e = snapshot.entities[i]
        if !facts.audiences.isEmpty, let audience = facts.audiences[e.id] {
            switch audience {
            case .nobody: return false
            case .everyone: return true
            case .players(let set): return player > 0 && set.contains(player)
            }
        }
        switch rules.kinds[Int(e.kind)].rule {
        case .normal, .everyone: return true
        case .nobody: return false
        case .owner: return player > 0 && owner(i) == player
        }
    }

    /// Whether entity `i` is placed by spatial interest: a kind with a
    /// position and the default rule, and no audience set by the rules.
    func isPlaced(_ i: Int) -> Bool {
        let e = snapshot.entities[i]
        let kind = rules.kinds[Int(e.kind)]
        guard kind.rule == .normal, kind.position != nil else { return false }
        return facts.audiences.isEmpty || facts.audiences[e.id] == nil
    }

    private func spatialIndex() -> SpatialInterest {
        if let spatial { return spatial }
        let made = SpatialInterest(views: self)
        spatial = made
        return made
    }

    // MARK: Masking

    private func maskedSnapshot() -> (snapshot: Snapshot, offsets: [Int32]) {
        if let masked { return masked }
        var values = snapshot.values
        var strings = snapshot.strings
        let empty = Int64(strings.append(EmptyCollection<UInt8>()))
        var offsets = [Int32](repeating: -1, count: snapshot.entities.count)
        var blank: [[Int64]?] = Array(repeating: nil, count: schema.kinds.count)
        for (k, kind) in rules.kinds.enumerated() where !kind.privateFields.isEmpty {
            blank[k] = kind.privateFields.map { f in
                switch schema.kinds[k].fields[f].type {
                case .string: empty
                case .quat: schema.kinds[k].fields[f].type.quantizer.quantize(quaternion: 0, y: 0, z: 0, w: 1)
                default: 0
                }
            }
        }
        for (i, e) in snapshot.entities.enumerated() {
            guard let masks = blank[Int(e.kind)] else { continue }
            let fields = rules.kinds[Int(e.kind)]
            let start = values.count
            values.append(contentsOf: snapshot.values[Int(e.offset)..<Int(e.offset) + schema.kinds[Int(e.kind)].fields.count])
            for (n, f) in fields.privateFields.enumerated() { values[start + f] = masks[n] }
            offsets[i] = Int32(clamping: start)
        }
        let made = (Snapshot(tick: snapshot.tick, match: snapshot.match, entities: snapshot.entities, values: values,
                             events: [], strings: strings), offsets)
        masked = made
        return made
    }
}

/// Views of recent ticks, by tick modulo the capacity (that of the
/// snapshot ring: a baseline older than the snapshots is never used).
struct ViewRing {
    private var slots: [TickViews?]

    init(capacity: Int) { slots = Array(repeating: nil, count: max(capacity, 1)) }

    mutating func set(_ views: TickViews?, tick: Int) {
        let slot = tick % slots.count
        slots[slot]?.settle()
        slots[slot] = views
        let previous = (tick - 1 + slots.count) % slots.count
        if previous != slot { slots[previous]?.settle() }
    }

    /// The views of `tick`, if it had any (a tick without is seen whole by everyone).
    func views(tick: Int) -> TickViews? {
        guard tick >= 0, let views = slots[tick % slots.count], views.snapshot.tick == tick else { return nil }
        return views
    }

    mutating func removeAll() {
        for i in slots.indices { slots[i] = nil }
    }
}
