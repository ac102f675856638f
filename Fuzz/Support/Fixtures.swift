import Protocol

/// The fixed schema and baseline the fuzz targets decode against, and the
/// values their seeds are made of. Fixed, so a crash file replays the same
/// way on every machine and every run.
public enum Fixtures {
    /// Every field type, with parameters at the edges of the spec: all six
    /// integer types, `fixed` with decimal steps and with 2^32 - 1 steps,
    /// angles of 2 and 16 bits, strings of 1 and 24 bytes, entity
    /// references to any kind and to `ship`, an even `vec3` and one of 63
    /// bits with a 41-bit axis, quaternions of 6, 10 and 20 bits.
    public static let everyType: [Field] = sortedFields([
        ("on", .bool),
        ("u8", .integer(bits: 8, signed: false)), ("i8", .integer(bits: 8, signed: true)),
        ("u16", .integer(bits: 16, signed: false)), ("i16", .integer(bits: 16, signed: true)),
        ("u32", .integer(bits: 32, signed: false)), ("i32", .integer(bits: 32, signed: true)),
        ("f32", .f32),
        ("fixed", .fixed(min: -1024, max: 1024, step: 1.0 / 32)),
        ("tenths", .fixed(min: 0, max: 1, step: 0.1)),
        ("widest", .fixed(min: 0, max: 4_294_967_295, step: 1)),
        ("quadrant", .angle(bits: 2)), ("heading", .angle(bits: 16)),
        ("letter", .string(maxBytes: 1)), ("name", .string(maxBytes: 24)),
        ("target", .entity(kind: nil)), ("ship_ref", .entity(kind: "ship")),
        ("pos", .vec3(x: axis(-1000, 1000, 0.01), y: axis(-1000, 1000, 0.01), z: axis(0, 50, 0.5))),
        ("far", .vec3(x: axis(0, 2_199_023_255_551, 1), y: axis(-1, 1, 1.0 / 1023.5), z: axis(0, 2047, 1))),
        ("rot", .quat(bits: 10)), ("rot6", .quat(bits: 6)), ("rot20", .quat(bits: 20)),
    ])

    /// Every kind of set: an empty one, a one-field one, one of every type;
    /// events and client events with and without strings.
    public static let schema: GameSchema = {
        let kinds = [
            ("dot", sortedFields([("x", .integer(bits: 8, signed: false))])),
            ("marker", []),
            ("ship", everyType),
        ]
        let events = [
            ("boom", sortedFields([("at", everyType.first { $0.name == "pos" }!.type), ("by", .entity(kind: "ship"))])),
            ("chat", sortedFields([("loud", .bool), ("text", .string(maxBytes: 64))])),
            ("reset", []),
        ]
        let clientEvents = [
            ("chat", sortedFields([("text", .string(maxBytes: 64))])),
            ("ping", []),
            ("spawn", everyType),
        ]
        func sets(_ list: [(String, [Field])]) -> [FieldSet] {
            list.enumerated().map { FieldSet(name: $1.0, index: $0 + 1, fields: $1.1) }
        }
        return GameSchema(match: FieldSet(name: "match", index: 0, fields: everyType),
                          kinds: sets(kinds),
                          input: everyType.filter { if case .string = $0.type { false } else { true } },
                          events: sets(events), clientEvents: sets(clientEvents))
    }()

    public static let coding = SnapshotCoding(schema)

    /// The state the snapshot target holds: tick 1000, entities of every
    /// kind, ids from 1 to 2^32 - 1.
    public static let baseline: Snapshot = {
        var rng = SplitMix64(seed: 1000)
        let ids: [(UInt32, Int)] = [(1, 2), (2, 0), (3, 1), (5, 2), (40, 0), (1000, 2), (70_000, 0), (UInt32.max, 1)]
        return state(&rng, tick: 1000, entities: ids, previous: nil, churn: 1, events: 0)
    }()

    /// The state it held before: tick 998, most of the same entities
    /// (one of them of another kind) and one the baseline no longer has,
    /// half the values the baseline's, so predictions start from both.
    public static let prior: Snapshot = {
        var rng = SplitMix64(seed: 998)
        let ids: [(UInt32, Int)] = [(1, 2), (2, 0), (3, 2), (4, 0), (5, 2), (1000, 2), (70_000, 0)]
        return state(&rng, tick: 998, entities: ids, previous: baseline, churn: 0.5, events: 0)
    }()

    // MARK: Values

    /// A valid stored value of `type`: often an end of its range. Strings
    /// are appended to `strings`, the value being their index.
    public static func value(_ type: FieldType, _ rng: inout SplitMix64, strings: inout StringTable) -> Int64 {
        switch rng.int(0...3) {
        case 0: return edge(type, high: false, strings: &strings)
        case 1: return edge(type, high: true, strings: &strings)
        default: break
        }
        switch type {
        case .string(let maxBytes):
            return Int64(strings.append(text(&rng, maxBytes: rng.int(0...maxBytes))))
        case .vec3(let x, let y, let z):
            return pack(x, y, z, Int64.random(in: 0...x.steps, using: &rng),
                        Int64.random(in: 0...y.steps, using: &rng), Int64.random(in: 0...z.steps, using: &rng))
        default:
            return Int64.random(in: type.range, using: &rng)
        }
    }

    /// The lowest or highest stored value of `type` (strings: empty, or
    /// `maxBytes` of multi-byte UTF-8 and ASCII).
    public static func edge(_ type: FieldType, high: Bool, strings: inout StringTable) -> Int64 {
        switch type {
        case .string(let maxBytes):
            guard high else { return Int64(strings.append([])) }
            var rng = SplitMix64(seed: UInt64(maxBytes))
            var bytes = text(&rng, maxBytes: maxBytes)
            bytes += Array(repeating: UInt8(ascii: "z"), count: maxBytes - bytes.count)
            return Int64(strings.append(bytes))
        case .vec3(let x, let y, let z):
            return high ? pack(x, y, z, x.steps, y.steps, z.steps) : 0
        default:
            return high ? type.range.upperBound : type.range.lowerBound
        }
    }

    /// Valid UTF-8 of at most `maxBytes` bytes, mixing 1- to 4-byte characters.
    public static func text(_ rng: inout SplitMix64, maxBytes: Int) -> [UInt8] {
        let characters: [[UInt8]] = ["a", "Z", " ", "é", "€", "😀", "字", "\0"].map { Array($0.utf8) }
        var bytes: [UInt8] = []
        while true {
            let c = characters[rng.int(0...characters.count - 1)]
            guard bytes.count + c.count <= maxBytes else { return bytes }
            bytes += c
        }
    }

    /// A `vec3`'s stored integer from its three step counts.
    public static func pack(_ x: FieldType.Axis, _ y: FieldType.Axis, _ z: FieldType.Axis, _ qx: Int64, _ qy: Int64, _ qz: Int64) -> Int64 {
        qx | qy << Int64(x.bits) | qz << Int64(x.bits + y.bits)
    }

    /// A state of `schema` with these entities (id → kind index): each
    /// field of an entity already in `previous` (same kind) keeps its value
    /// unless it churns; new fields and the match's get fresh values. Then
    /// `events` random events, a third of them private.
    public static func state(_ rng: inout SplitMix64, tick: Int, entities: [(UInt32, Int)], previous: Snapshot?,
                             churn: Double, events: Int, schema: GameSchema = schema) -> Snapshot {
        var strings = StringTable()
        var values: [Int64] = []
        var list: [Snapshot.Entity] = []
        for (id, kind) in entities.sorted(by: { $0.0 < $1.0 }) {
            list.append(Snapshot.Entity(id: id, kind: UInt16(kind), offset: Int32(values.count)))
            let old = previous?.entity(id: id).flatMap { $0.kind == UInt16(kind) ? $0 : nil }
            for (f, field) in schema.kinds[kind].fields.enumerated() {
                if let old, let previous, !rng.chance(churn) {
                    let q = previous.values[Int(old.offset) + f]
                    if case .string = field.type {
                        values.append(Int64(strings.append(previous.strings.bytes(at: Int(q)))))
                    } else {
                        values.append(q)
                    }
                } else {
                    values.append(value(field.type, &rng, strings: &strings))
                }
            }
        }
        var match: [Int64] = []
        for (f, field) in schema.match.fields.enumerated() {
            if let previous, !rng.chance(churn) {
                let q = previous.match[f]
                if case .string = field.type {
                    match.append(Int64(strings.append(previous.strings.bytes(at: Int(q)))))
                } else {
                    match.append(q)
                }
            } else {
                match.append(value(field.type, &rng, strings: &strings))
            }
        }
        var emitted: [Snapshot.Event] = []
        for _ in 0..<(schema.events.isEmpty ? 0 : events) {
            let k = rng.int(0...schema.events.count - 1)
            emitted.append(Snapshot.Event(to: rng.chance(0.3) ? rng.int(1...255) : 0, kind: UInt16(k), offset: Int32(values.count)))
            for field in schema.events[k].fields { values.append(value(field.type, &rng, strings: &strings)) }
        }
        return Snapshot(tick: tick, match: match, entities: list, values: values, events: emitted, strings: strings)
    }

    static func axis(_ min: Double, _ max: Double, _ step: Double) -> FieldType.Axis {
        FieldType.Axis(min: min, max: max, step: step)
    }

    /// Fields sorted by name in byte order, as the wire requires.
    public static func sortedFields(_ list: [(String, FieldType)]) -> [Field] {
        list.map { Field(name: $0.0, type: $0.1) }.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
    }
}

/// The two draws the fixtures need.
extension SplitMix64 {
    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }
    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &self) < p }
}
