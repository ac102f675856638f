/// The quantized state of a match after one tick: immutable, made of the
/// integers a client will decode.
///
/// Storage is flat so taking a snapshot costs a handful of allocations, not
/// one per entity: `values` holds every entity's fields back to back, each
/// entity's `offset` marks where its fields (in schema order) begin. String
/// fields hold an index into `strings`.
public struct Snapshot: Sendable {
    public struct Entity: Sendable, Hashable {
        public let id: UInt32
        /// Index into `GameSchema.kinds` (0-based).
        public let kind: UInt16
        public let offset: Int32

        public init(id: UInt32, kind: UInt16, offset: Int32) {
            self.id = id
            self.kind = kind
            self.offset = offset
        }
    }

    public struct Event: Sendable, Equatable {
        /// Recipient player id, or 0 for everyone.
        public let to: Int
        /// Index into `GameSchema.events` (0-based).
        public let kind: UInt16
        public let offset: Int32

        public init(to: Int, kind: UInt16, offset: Int32) {
            self.to = to
            self.kind = kind
            self.offset = offset
        }
    }

    public let tick: Int
    /// Match-level fields in schema order.
    public let match: [Int64]
    /// Live entities, sorted by id.
    public let entities: [Entity]
    public let values: [Int64]
    /// Events emitted during this tick, in emission order; their fields are in `values` too.
    public let events: [Event]
    public let strings: StringTable

    public init(tick: Int, match: [Int64], entities: [Entity], values: [Int64], events: [Event], strings: StringTable) {
        self.tick = tick
        self.match = match
        self.entities = entities
        self.values = values
        self.events = events
        self.strings = strings
    }

    /// Whether `other` holds the same state: tick, entities, kinds and values
    /// (strings by content, not by their index in the string table). Events
    /// are not compared.
    public func hasSameState(as other: Snapshot, schema: GameSchema) -> Bool {
        guard tick == other.tick, match.count == other.match.count, entities.count == other.entities.count else { return false }
        func same(_ x: Int64, _ y: Int64, _ type: FieldType) -> Bool {
            if case .string = type { return strings.bytes(at: Int(x)).elementsEqual(other.strings.bytes(at: Int(y))) }
            return x == y
        }
        for (f, field) in schema.match.fields.enumerated() where !same(match[f], other.match[f], field.type) { return false }
        for (a, b) in zip(entities, other.entities) {
            guard a.id == b.id, a.kind == b.kind else { return false }
            for (f, field) in schema.kinds[Int(a.kind)].fields.enumerated()
            where !same(values[Int(a.offset) + f], other.values[Int(b.offset) + f], field.type) { return false }
        }
        return true
    }

    /// Field values of an entity or event, in schema order.
    public func fields(at offset: Int32, count: Int) -> ArraySlice<Int64> {
        values[Int(offset)..<Int(offset) + count]
    }
}

/// The last few snapshots, oldest dropped first: baselines for deltas.
public struct SnapshotRing: Sendable {
    public let capacity: Int
    private var slots: [Snapshot?]
    public private(set) var latest: Snapshot?

    /// 64 ticks by default: two seconds at 30 Hz, longer than a client stays
    /// behind before it is resynchronised with a full snapshot.
    public init(capacity: Int = 64) {
        precondition(capacity > 0)
        self.capacity = capacity
        slots = Array(repeating: nil, count: capacity)
    }

    public mutating func append(_ snapshot: Snapshot) {
        slots[snapshot.tick % capacity] = snapshot
        latest = snapshot
    }

    /// The snapshot of `tick`, if it is still held.
    public func snapshot(tick: Int) -> Snapshot? {
        guard tick >= 0, let s = slots[tick % capacity], s.tick == tick else { return nil }
        return s
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
