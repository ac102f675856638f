/// The state of a match after one tick, decoded to the values a client sees:
/// what `tickwire replay FILE --until TICK --json` prints (`json`) and what a
/// replay compares when it diverges (`StateDivergence`).
///
/// Built from the match's latest snapshot, so every value has been through
/// quantization exactly as it went on the wire (`FieldValue`, the decoding
/// `ClientMirror` uses): `fixed` and `angle` fields are their rounded
/// numbers, strings their truncated text, entity references ids (0 for
/// none). Nothing refers back to the match or its Lua state: a value can
/// outlive the match and cross threads.
///
/// Invariants: `kinds` lists every kind the schema declares, in schema order
/// (byte order of their names), empty ones included; each kind's entities
/// are in increasing id order; every field list is in schema order.
public struct MatchState: Sendable {
    /// The tick the state is from (0: after `game.init`).
    public let tick: Int
    /// The match's running digest up to and including this tick: equal
    /// hashes mean equal histories (states and events), not only equal
    /// states at this tick.
    public let hash: StateHash
    /// `running`, `finished`, `failed` or `stopped`.
    public let status: String
    /// What ended the match: the rendered `game.result` value, or the
    /// failure; nil while running (and when a stop found no result).
    public let statusDetail: String?
    /// The match table's declared fields.
    public let match: Fields
    /// Seated players by id.
    public let players: [Player]
    public let kinds: [Kind]
    /// Events emitted during this tick, in emission order.
    public let events: [Event]

    /// Named values in schema order. The names are shared by every entity
    /// of a kind (one array, copied on write), so a state costs one array of
    /// values per entity.
    public struct Fields: Sendable, Equatable {
        public let names: [String]
        public let values: [FieldValue]

        init(names: [String], values: [FieldValue]) {
            precondition(names.count == values.count, "\(names.count) names for \(values.count) values")
            self.names = names
            self.values = values
        }

        public subscript(name: String) -> FieldValue? {
            names.firstIndex(of: name).map { values[$0] }
        }
    }

    public struct Player: Sendable, Equatable {
        public let id: Int
        public let name: String
    }

    /// One entity kind and its live entities.
    public struct Kind: Sendable {
        public let name: String
        /// The kind's declared fields, in schema order.
        public let fieldNames: [String]
        /// Increasing ids.
        public let entities: [Entity]

        /// The entity with `id`, by binary search.
        public func entity(id: UInt32) -> Entity? {
            var lo = 0, hi = entities.count - 1
            while lo <= hi {
                let mid = (lo + hi) / 2
                if entities[mid].id == id { return entities[mid] }
                if entities[mid].id < id { lo = mid + 1 } else { hi = mid - 1 }
            }
            return nil
        }
    }

    public struct Entity: Sendable {
        public let id: UInt32
        public let fields: Fields
    }

    public struct Event: Sendable {
        public let name: String
        /// The recipient's player id, or 0 for everyone.
        public let to: Int
        public let fields: Fields
    }

    /// The state after the match's latest tick, with the players seated
    /// now and its status now. Taken right after `step()` (or after `init`),
    /// that is the state at `match.tick`; joins and leaves applied since
    /// show in `players` but not yet in the entities.
    public init(_ match: Match) {
        // `Match.init` takes a snapshot before it returns, so there is always one.
        let snapshot = match.snapshots.latest ?? .empty
        let schema = match.schema
        let strings = snapshot.strings
        func fields(_ set: FieldSet, names: [String], at offset: Int) -> Fields {
            var values: [FieldValue] = []
            values.reserveCapacity(set.fields.count)
            for (f, field) in set.fields.enumerated() {
                values.append(FieldValue(snapshot.values[offset + f], type: field.type, strings: strings))
            }
            return Fields(names: names, values: values)
        }

        tick = snapshot.tick
        hash = match.stateHash
        (status, statusDetail) = match.status.parts
        let matchNames = schema.match.fields.map(\.name)
        // The match's values live in their own array; read them the same way.
        self.match = Fields(names: matchNames, values: zip(snapshot.match, schema.match.fields).map { q, field in
            FieldValue(q, type: field.type, strings: strings)
        })
        players = match.players.map { Player(id: $0.id, name: $0.name) }

        let kindNames = schema.kinds.map { $0.fields.map(\.name) }
        var byKind = Array(repeating: [Entity](), count: schema.kinds.count)
        for e in snapshot.entities {
            let k = Int(e.kind)
            byKind[k].append(Entity(id: e.id, fields: fields(schema.kinds[k], names: kindNames[k], at: Int(e.offset))))
        }
        kinds = schema.kinds.indices.map { k in
            Kind(name: schema.kinds[k].name, fieldNames: kindNames[k], entities: byKind[k])
        }

        let eventNames = schema.events.map { $0.fields.map(\.name) }
        events = snapshot.events.map { e in
            let k = Int(e.kind)
            return Event(name: schema.events[k].name, to: e.to, fields: fields(schema.events[k], names: eventNames[k], at: Int(e.offset)))
        }
    }

    /// The kind named `name`.
    public func kind(named name: String) -> Kind? { kinds.first { $0.name == name } }
}

extension MatchStatus {
    /// The status word and what ended the match, for `MatchState`.
    fileprivate var parts: (String, String?) {
        switch self {
        case .running: ("running", nil)
        case .finished(let result): ("finished", result.rendered)
        case .failed(let failure): ("failed", failure.description)
        case .stopped(let result): ("stopped", result?.rendered)
        }
    }
}
