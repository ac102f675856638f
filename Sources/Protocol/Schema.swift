/// A named, typed field of an entity kind, the match, an input or an event.
public struct Field: Sendable, Equatable {
    public let name: String
    public let type: FieldType

    /// A random stored value this field may carry (strings and entities: 0,
    /// the first string of a table and "no entity"): load clients and smoke
    /// matches send these.
    public func randomStoredValue(using rng: inout some RandomNumberGenerator) -> Int64 {
        let q = type.quantizer
        switch q.kind {
        case .entity, .string: return 0
        default:
            let v = Int64.random(in: q.lower...q.upper, using: &rng)
            return q.isValid(v) ? v : q.lower
        }
    }

    public init(name: String, type: FieldType) {
        self.name = name
        self.type = type
    }
}

/// A set of fields under one name: an entity kind, the match, or an event.
/// Fields are sorted by name (byte order): Lua tables have no declaration
/// order, and a sorted table is the same on every run.
public struct FieldSet: Sendable, Equatable {
    public let name: String
    /// 1-based, as in the Lua side's lists.
    public let index: Int
    public let fields: [Field]
    /// `quantizers[i]` is `fields[i].type.quantizer`, for hot loops.
    public let quantizers: [Quantizer]

    public init(name: String, index: Int, fields: [Field]) {
        self.name = name
        self.index = index
        self.fields = fields
        quantizers = fields.map(\.type.quantizer)
    }
}

/// Everything a game declares about its data: the one source of truth for
/// snapshots, inputs and events.
public struct GameSchema: Sendable, Equatable {
    /// Fields of the match table itself.
    public let match: FieldSet
    /// Entity kinds sorted by name; `kinds[i].index == i + 1`.
    public let kinds: [FieldSet]
    public let input: [Field]
    /// Events sorted by name; `events[i].index == i + 1`.
    public let events: [FieldSet]
    /// Events clients send to the server, sorted by name;
    /// `clientEvents[i].index == i + 1`.
    public let clientEvents: [FieldSet]

    public init(match: FieldSet, kinds: [FieldSet], input: [Field], events: [FieldSet], clientEvents: [FieldSet] = []) {
        self.match = match
        self.kinds = kinds
        self.input = input
        self.events = events
        self.clientEvents = clientEvents
    }

    public func kind(named name: String) -> FieldSet? { kinds.first { $0.name == name } }
    public func event(named name: String) -> FieldSet? { events.first { $0.name == name } }
    public func clientEvent(named name: String) -> FieldSet? { clientEvents.first { $0.name == name } }

    /// Field names a kind may not use: set by `spawn`.
    public static let reservedEntityFields: Set<String> = ["id", "kind"]
    /// Match fields that are the engine's own.
    public static let reservedMatchFields: Set<String> = [
        "tick", "time", "players", "spawn", "despawn", "each", "count", "entity", "random", "broadcast", "send",
        "hide", "show", "reset_visibility", "lock", "unlock",
    ]
    /// Kind names a bot's view uses for itself.
    public static let reservedKinds: Set<String> = ["tick", "byid", "events"]
    /// Limits that keep snapshots and the wire format bounded.
    public static let maxKinds = 255
    public static let maxFieldsPerSet = 64
    public static let maxEvents = 255
}

extension GameSchema {
    /// Whether `values` is an input of this schema: one stored value per
    /// input field, each in its type's range.
    public func accepts(input values: [Int64]) -> Bool {
        values.count == input.count && zip(values, input).allSatisfy { $1.type.quantizer.isValid($0) }
    }

    /// Whether `message` is a client event of this schema: a declared event,
    /// one stored value per field, each in its type's range, strings in the
    /// message's table. (A client event made for other rules, before a
    /// reload, may not be.)
    public func accepts(clientEvent message: ClientEventMessage) -> Bool {
        guard clientEvents.indices.contains(message.event) else { return false }
        let fields = clientEvents[message.event].fields
        return message.values.count == fields.count && zip(message.values, fields).allSatisfy { value, field in
            if case .string = field.type { return message.strings.indices.contains(Int(clamping: value)) }
            return field.type.quantizer.isValid(value)
        }
    }
}
