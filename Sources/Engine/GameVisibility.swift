import Lua

/// Who may see what of a match, as the game declares it (docs/lua-api.md,
/// "Hidden information"): owner-private fields, a default audience per
/// kind, spatial interest and what spectators see. Per-entity audiences
/// (`match:hide`, `match:show`) are state, read with each snapshot.
///
/// A game that declares none of it has `isDeclared == false`, and its
/// frames are made exactly as before: one view, the whole state.
public struct GameVisibility: Sendable, Equatable {
    /// Who sees an entity of a kind, unless the rules set its audience.
    public enum KindRule: String, Sendable, Equatable {
        /// Everyone, or, with spatial interest, the players near it.
        case normal
        /// Only the player in its `owner` field.
        case owner
        /// No player.
        case nobody
        /// Every player, however far (spatial interest does not apply).
        case everyone
    }

    /// Where an entity of a kind is, for spatial interest.
    public enum Position: Sendable, Equatable {
        /// Numeric fields `x` and `y`, and `z` if declared (indexes in the kind).
        case fields(x: Int, y: Int, z: Int?)
        /// A `vec3` field.
        case vector(Int)
    }

    public struct Kind: Sendable, Equatable {
        public var rule: KindRule = .normal
        /// Indexes of the fields only the owner is sent.
        public var privateFields: [Int] = []
        /// The declared `owner` field, if any (else the engine reads the
        /// entity's `owner` key unsent, when it needs it).
        public var ownerField: Int?
        public var position: Position?
    }

    public struct Interest: Sendable, Equatable {
        public let radius: Double
        /// The kind whose entity, owned by a player, is where that player sees from.
        public let from: Int
    }

    /// What a spectator is sent.
    public enum Spectators: String, Sendable, Equatable {
        /// The whole state (a spectator may follow one player's view instead).
        case everything
        /// Only what every player may see: no private field, no entity seen
        /// by its owner or a list of players only.
        case `public`
    }

    public private(set) var kinds: [Kind]
    public private(set) var interest: Interest?
    public private(set) var spectators: Spectators = .everything

    /// Whether the game declares anything that hides state from a player.
    public var isDeclared: Bool {
        interest != nil || kinds.contains { $0.rule != .normal || !$0.privateFields.isEmpty }
    }

    /// Whether the snapshot needs entities' owners: a kind with private
    /// fields or seen by its owner only, or the kind players see from. (Any
    /// kind, with interest: an owner sees its own entities however far.)
    func readsOwner(kind k: Int) -> Bool {
        let kind = kinds[k]
        return kind.rule == .owner || !kind.privateFields.isEmpty || interest != nil
    }

    /// The visibility of a game with no declarations.
    init(kindCount: Int) {
        kinds = Array(repeating: Kind(), count: kindCount)
    }

    /// Reads `private = true` in `game.state`'s kinds, `game.visible`,
    /// `game.interest` and `game.spectators`; errors point at file:line.
    init(game: LuaValue, schema: GameSchema, locator: SourceLocator) throws(GameError) {
        func fail(_ path: [String], _ message: String) -> GameError {
            GameError(location: locator.location(of: path), message: message)
        }
        self.init(kindCount: schema.kinds.count)
        let state = game["state"]
        for entry in state["match"].entries where entry.value["private"] != .nil {
            let name = entry.key.asString ?? "?"
            throw fail(["state", "match", name], "match.\(name): match fields are seen by every player; "
                       + "a private value belongs on an entity with an owner")
        }
        for (k, kind) in schema.kinds.enumerated() {
            for (f, field) in kind.fields.enumerated() {
                switch state[kind.name][field.name]["private"] {
                case .nil, .boolean(false): break
                case .boolean(true): kinds[k].privateFields.append(f)
                case let other:
                    throw fail(["state", kind.name, field.name], "\(kind.name).\(field.name): private must be true or false, got \(other.rendered)")
                }
            }
            if let f = kind.fields.firstIndex(where: { $0.name == "owner" }) {
                switch kind.fields[f].type {
                case .integer, .entity: kinds[k].ownerField = f
                default:
                    throw fail(["state", kind.name, "owner"], "\(kind.name).owner holds the id of the player the entity belongs to: "
                               + "declare it an integer (\"u8\") or leave it undeclared, got \(kind.fields[f].type)")
                }
            }
            kinds[k].position = Self.position(of: kind)
        }
        try readRules(game["visible"], schema: schema, fail: fail)
        try readInterest(game["interest"], schema: schema, fail: fail)
        let seen = game["spectators"]
        if seen != .nil {
            guard let text = seen.asString, let chosen = Spectators(rawValue: text) else {
                throw fail(["spectators"], "game.spectators must be \"everything\" or \"public\", got \(seen.rendered)")
            }
            spectators = chosen
        }
    }

    private mutating func readRules(_ value: LuaValue, schema: GameSchema,
                                    fail: ([String], String) -> GameError) throws(GameError) {
        if value == .nil { return }
        guard case .table(let entries) = value else {
            throw fail(["visible"], "game.visible must be a table of kind = \"owner\", \"nobody\" or \"everyone\", got \(value.typeName)")
        }
        for entry in entries {
            guard let name = entry.key.asString, let k = schema.kinds.firstIndex(where: { $0.name == name }) else {
                throw fail(["visible"], "game.visible: \(entry.key.rendered) is not an entity kind declared in game.state")
            }
            guard let text = entry.value.asString, let rule = KindRule(rawValue: text), rule != .normal else {
                throw fail(["visible", name], "game.visible.\(name) must be \"owner\", \"nobody\" or \"everyone\", got \(entry.value.rendered)")
            }
            kinds[k].rule = rule
        }
    }

    private mutating func readInterest(_ value: LuaValue, schema: GameSchema,
                                       fail: ([String], String) -> GameError) throws(GameError) {
        if value == .nil { return }
        let usage = "game.interest must be { radius = R, from = \"kind\" }: players see what is within R of their own entity of that kind"
        guard case .table = value else { throw fail(["interest"], "\(usage), got \(value.typeName)") }
        guard let radius = value["radius"].asDouble, radius.isFinite, radius > 0 else {
            throw fail(["interest"], "game.interest.radius must be a positive number, got \(value["radius"].rendered)")
        }
        guard let name = value["from"].asString else { throw fail(["interest"], "\(usage); from is \(value["from"].rendered)") }
        guard let k = schema.kinds.firstIndex(where: { $0.name == name }) else {
            throw fail(["interest"], "game.interest.from: '\(name)' is not an entity kind declared in game.state")
        }
        guard kinds[k].position != nil else {
            throw fail(["interest"], "game.interest.from: kind '\(name)' has no position: declare numeric x and y fields, or a vec3")
        }
        interest = Interest(radius: radius, from: k)
    }

    /// `x` and `y` (and `z`) if numeric, else the kind's vec3 (`position`
    /// or `pos` if it has several).
    private static func position(of kind: FieldSet) -> Position? {
        func numeric(_ name: String) -> Int? {
            guard let f = kind.fields.firstIndex(where: { $0.name == name }) else { return nil }
            switch kind.fields[f].type {
            case .integer, .f32, .fixed: return f
            default: return nil
            }
        }
        if let x = numeric("x"), let y = numeric("y") { return .fields(x: x, y: y, z: numeric("z")) }
        let vectors = kind.fields.indices.filter { if case .vec3 = kind.fields[$0].type { true } else { false } }
        if vectors.count == 1 { return .vector(vectors[0]) }
        for name in ["position", "pos"] {
            if let f = vectors.first(where: { kind.fields[$0].name == name }) { return .vector(f) }
        }
        return nil
    }
}
