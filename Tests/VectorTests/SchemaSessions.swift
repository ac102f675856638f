import Protocol
import ProtocolTestSupport

/// Sessions over schemas built for the vectors: every field type at the
/// limits of its parameters and values, every way a changed value is
/// coded, and random schemas and states.
enum SchemaSessions {
    // MARK: Schemas

    /// A field set with its fields sorted by name, as the wire wants them.
    static func set(_ name: String, _ index: Int, _ fields: [(String, FieldType)]) -> FieldSet {
        FieldSet(name: name, index: index, fields: sorted(fields))
    }

    static func sorted(_ fields: [(String, FieldType)]) -> [Field] {
        fields.sorted { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }.map { Field(name: $0.0, type: $0.1) }
    }

    static func int(_ bits: Int, signed: Bool) -> FieldType { .integer(bits: bits, signed: signed) }

    /// A vec3 whose y axis has 51 bits (x 11, z 1: 63 in all).
    static let wideVector = FieldType.vec3(
        x: .init(min: -512, max: 511, step: 0.5),
        y: .init(min: 0, max: Double((1 << 51) - 1) / 1024, step: 1.0 / 1024),
        z: .init(min: -1, max: 1, step: 2))
    /// 21 bits an axis, decimal steps.
    static let evenVector = FieldType.vec3(
        x: .init(min: -1000, max: 1000, step: 0.001), y: .init(min: -1000, max: 1000, step: 0.001),
        z: .init(min: -1000, max: 1000, step: 0.001))
    static let smallVector = FieldType.vec3(
        x: .init(min: -10, max: 10, step: 0.5), y: .init(min: 0, max: 100, step: 0.1), z: .init(min: -1, max: 1, step: 1.0 / 64))

    /// Every field type with the extremes of its parameters.
    static let probeFields: [(String, FieldType)] = [
        ("alive", .bool),
        ("u8", int(8, signed: false)), ("i8", int(8, signed: true)),
        ("u16", int(16, signed: false)), ("i16", int(16, signed: true)),
        ("u32", int(32, signed: false)), ("i32", int(32, signed: true)),
        ("f32", .f32),
        ("fixed", .fixed(min: -1024, max: 1024, step: 1.0 / 32)),
        ("fixed_wide", .fixed(min: -2_147_483_648, max: 2_147_483_647, step: 1)),   // 2^32 - 1 steps
        ("fixed_one", .fixed(min: 0.5, max: 1.5, step: 1)),                           // 1 step
        ("fixed_tenth", .fixed(min: 0, max: 1, step: 0.1)),
        ("fixed_tiny", .fixed(min: -1e-6, max: 1e-6, step: 1e-9)),
        ("fixed_huge", .fixed(min: -1e15, max: 1e15, step: 1e6)),
        ("angle2", .angle(bits: 2)), ("angle16", .angle(bits: 16)),
        ("s1", .string(maxBytes: 1)), ("s64", .string(maxBytes: 64)), ("s4096", .string(maxBytes: 4096)),
        ("any", .entity(kind: nil)), ("ship", .entity(kind: "ship")),
        ("v51", wideVector), ("v21", evenVector),
        ("q6", .quat(bits: 6)), ("q20", .quat(bits: 20)),
    ]

    static let extremesSchema = GameSchema(
        match: set("match", 0, [
            ("phase", int(8, signed: false)), ("clock", .f32), ("title", .string(maxBytes: 64)),
            ("leader", .entity(kind: "ship")), ("anything", .entity(kind: nil)), ("wind", smallVector),
            ("spin", .quat(bits: 8)), ("heading", .angle(bits: 12)), ("score", int(32, signed: true)),
            ("on", .bool), ("credits", .fixed(min: 0, max: 100, step: 0.25)),
        ]),
        kinds: [
            set("crate", 1, []),
            set("probe", 2, probeFields),
            set("ship", 3, [("name", .string(maxBytes: 16)), ("hp", int(8, signed: false)), ("target", .entity(kind: "ship")),
                            ("pos", evenVector), ("rot", .quat(bits: 10)), ("speed", .f32)]),
        ],
        input: sorted([
            ("aim", .quat(bits: 12)), ("dir", smallVector), ("fire", .bool), ("f", .f32),
            ("throttle", .fixed(min: -1, max: 1, step: 1.0 / 128)), ("heading", .angle(bits: 16)),
            ("turn", int(8, signed: true)), ("u8", int(8, signed: false)), ("i16", int(16, signed: true)),
            ("u16", int(16, signed: false)), ("i32", int(32, signed: true)), ("u32", int(32, signed: false)),
            ("target", .entity(kind: "ship")), ("any", .entity(kind: nil)),
        ]),
        events: [
            set("boom", 1, [("at", smallVector), ("by", .entity(kind: "ship")), ("note", .string(maxBytes: 32)),
                            ("power", .f32), ("big", .bool)]),
            set("ping", 2, []),
            set("score", 3, [("delta", int(32, signed: true)), ("player", int(8, signed: false)), ("who", .entity(kind: nil))]),
        ],
        clientEvents: [
            set("chat", 1, [("text", .string(maxBytes: 256))]),
            set("emote", 2, [("face", int(8, signed: false)), ("target", .entity(kind: nil)), ("text", .string(maxBytes: 4096)),
                             ("at", smallVector)]),
            set("nudge", 3, []),
        ])

    // MARK: Helpers

    static func kindIndex(_ schema: GameSchema, _ name: String) -> Int { schema.kinds.firstIndex { $0.name == name }! }
    static func fieldIndex(_ fields: [Field], _ name: String) -> Int { fields.firstIndex { $0.name == name }! }

    /// Random cells for a field list.
    static func randomCells(_ rng: inout SplitMix64, _ fields: [Field]) -> [StateModel.Cell] {
        fields.map { StateModel.random(&rng, $0.type) }
    }

    static func extremeCells(_ fields: [Field], high: Bool) -> [StateModel.Cell] {
        fields.map { StateModel.extreme($0.type, high: high) }
    }

    /// A random value of `type` that a client encodes back to itself.
    static func encodable(_ rng: inout SplitMix64, _ type: FieldType) -> Int64 {
        for _ in 0..<1000 {
            guard case .q(let q) = StateModel.random(&rng, type) else { preconditionFailure("client message values are numbers") }
            if VectorValues.roundTrips(q, type) { return q }
        }
        preconditionFailure("no value of \(type) survives decode + encode")
    }

    /// Records the model's state as the next snapshot of `session`: a
    /// delta from what the session holds, or a full snapshot.
    static func send(_ model: StateModel, _ session: inout SessionRecorder, viewer: Int, lastInput: UInt64, full: Bool = false) {
        let state = model.snapshot
        let baseline = full ? nil : session.held
        let bytes = SnapshotMessage.encode(from: baseline, prior: session.previous, to: state, lastInput: lastInput,
                                           audience: .player(viewer), coding: session.coding)
        let events = state.events.filter { $0.to == 0 || $0.to == viewer }.map { (snapshot: state, event: $0) }
        session.snapshot(bytes, state: state, lastInput: lastInput, events: events)
    }

    /// Encoding vectors for every client message of `session`'s schema.
    static func clientMessages(_ rng: inout SplitMix64, _ session: inout SessionRecorder, sequences: [UInt64], ticks: [Int]) {
        let schema = session.schema
        for sequence in sequences {
            session.input(sequence: sequence, values: schema.input.map { encodable(&rng, $0.type) })
        }
        for (e, set) in schema.clientEvents.enumerated() {
            for _ in 0..<2 {
                var strings = StringTable()
                let values: [Int64] = set.fields.map { field in
                    if case .string(let max) = field.type {
                        return Int64(strings.append(RandomSchema.text(&rng, maxBytes: rng.chance(0.3) ? max : rng.int(0...min(max, 40)))))
                    }
                    return encodable(&rng, field.type)
                }
                session.clientEvent(e, values: values, strings: strings)
            }
        }
        for tick in ticks { session.ack(tick) }
    }

    // MARK: Every type at its limits

    /// The extremes schema, seen by player 255 (the highest id): lowest and
    /// highest values of every type, f32 values that decoders get wrong
    /// (NaN, infinities, -0, subnormals), the highest entity id, a kind
    /// changing under the same id, removals, a delta whose baseline is
    /// three ticks back, a full snapshot mid-session, and the empty state.
    static func extremes() -> JSON {
        var rng = SplitMix64(seed: 0xE7_7E4E)
        let schema = extremesSchema
        let viewer = 255
        let welcome = Welcome(playerID: viewer, matchID: String(decoding: StateModel.fullText(bytes: 64), as: UTF8.self),
                              tickRate: 120, tick: 1, resumeToken: String(repeating: "R", count: 128), schema: schema)
        var session = SessionRecorder(name: "extremes: every field type at its limits, seen by player 255", welcome: welcome)
        let (crate, probe, ship) = (kindIndex(schema, "crate"), kindIndex(schema, "probe"), kindIndex(schema, "ship"))
        let probes = schema.kinds[probe].fields
        let ships = schema.kinds[ship].fields
        let events = schema.events
        // Random values, but strings of at most 40 bytes: every snapshot's
        // expectation repeats every entity, so the 4096-byte maximum appears
        // in a few snapshots only.
        func random(_ type: FieldType) -> StateModel.Cell {
            if case .string(let max) = type, max > 40 { return .text(RandomSchema.text(&rng, maxBytes: rng.int(0...40))) }
            return StateModel.random(&rng, type)
        }
        func randomProbe() -> [StateModel.Cell] { probes.map { random($0.type) } }
        func event(_ name: String, to: Int, _ cells: [StateModel.Cell]? = nil) -> StateModel.Event {
            let k = events.firstIndex { $0.name == name }!
            return StateModel.Event(to: to, kind: k, cells: cells ?? randomCells(&rng, events[k].fields))
        }
        var model = StateModel(schema: schema)
        /// Changes one random field of a probe, not its f32 (which goes
        /// through the special values below, never from one NaN to another).
        func changeOne(_ id: UInt32) {
            var f = rng.int(0...probes.count - 2)
            if probes[f].type == .f32 { f = probes.count - 1 }
            let old = model.entities[id]!.cells[f]
            var new = StateModel.changed(&rng, probes[f].type, from: old)
            if case .string(let max) = probes[f].type, max > 40 {
                repeat { new = random(probes[f].type) } while new == old
            }
            model.entities[id]!.cells[f] = new
        }

        // Tick 1, full: one probe at every lowest value, one at every highest.
        model.next(tick: 1)
        model.match = extremeCells(schema.match.fields, high: true)
        model.entities[1] = .init(kind: probe, cells: extremeCells(probes, high: false))
        model.entities[2] = .init(kind: probe, cells: extremeCells(probes, high: true))
        model.entities[3] = .init(kind: ship, cells: randomCells(&rng, ships))
        model.entities[4] = .init(kind: crate, cells: [])
        model.entities[UInt32.max] = .init(kind: probe, cells: randomProbe())
        model.events = [event("boom", to: 0), event("ping", to: viewer), event("score", to: 3),
                        event("score", to: 0, extremeCells(events[2].fields, high: true))]
        send(model, &session, viewer: viewer, lastInput: 0)

        // Tick 2: the two probes swap extremes, the match falls to its lowest.
        model.next(tick: 2)
        model.match = extremeCells(schema.match.fields, high: false)
        model.entities[1]!.cells = extremeCells(probes, high: true)
        model.entities[2]!.cells = extremeCells(probes, high: false)
        model.events = [event("score", to: viewer, extremeCells(events[2].fields, high: false))]
        send(model, &session, viewer: viewer, lastInput: 1)

        // Ticks 3...18: f32 fields go through every special value; a few
        // other fields change at random. The long string goes short.
        let short = fieldIndex(probes, "s4096")
        model.entities[1]!.cells[short] = .text(Array("short now é".utf8))
        let f32 = fieldIndex(probes, "f32"), speed = fieldIndex(ships, "speed"), clock = fieldIndex(schema.match.fields, "clock")
        let specials = StateModel.f32Specials.map { StateModel.Cell.q(Int64($0)) }
        for (i, tick) in (3...18).enumerated() {
            model.next(tick: tick)
            StateModel.setF32(&model.entities[1]!.cells[f32], specials[i % specials.count])
            StateModel.setF32(&model.entities[2]!.cells[f32], specials[(i + 5) % specials.count])
            StateModel.setF32(&model.entities[3]!.cells[speed], specials[(i + 9) % specials.count])
            StateModel.setF32(&model.match[clock], specials[(i + 13) % specials.count])
            for id: UInt32 in [2, UInt32.max] where rng.chance(0.5) { changeOne(id) }
            if rng.chance(0.3) { model.events.append(event("boom", to: rng.pick([0, viewer]))) }
            send(model, &session, viewer: viewer, lastInput: UInt64(tick - 1))
        }

        // Tick 19: the crate becomes a ship under the same id; probe 2 goes;
        // a new probe comes; a ship points at the highest id.
        model.next(tick: 19)
        model.entities[4] = .init(kind: ship, cells: randomCells(&rng, ships))
        model.entities[2] = nil
        model.entities[5] = .init(kind: probe, cells: randomProbe())
        model.entities[3]!.cells[fieldIndex(ships, "target")] = .q(Int64(UInt32.max))
        send(model, &session, viewer: viewer, lastInput: 4_294_967_295)

        // Tick 20: id 2 comes back as a crate; the ship at 4 turns into a probe.
        model.next(tick: 20)
        model.entities[2] = .init(kind: crate, cells: [])
        model.entities[4] = .init(kind: probe, cells: randomProbe())
        send(model, &session, viewer: viewer, lastInput: 4_294_967_296)

        // Ticks 21 and 22 never reach this client; 23 is a delta from 20.
        for tick in 21...23 {
            model.next(tick: tick)
            for id in model.entities.keys.sorted() where model.entities[id]!.kind == probe && rng.chance(0.6) { changeOne(id) }
            model.events = [event("ping", to: 0)]
        }
        model.entities[3]!.cells[fieldIndex(ships, "hp")] = .q(0)
        send(model, &session, viewer: viewer, lastInput: 4_294_967_297)

        // Tick 24: a full snapshot while the client holds 23.
        model.next(tick: 24)
        model.match = randomCells(&rng, schema.match.fields)
        send(model, &session, viewer: viewer, lastInput: 4_294_967_297, full: true)

        // Tick 25: everything goes. Tick 26: nothing changes, events only.
        model.next(tick: 25)
        model.entities = [:]
        send(model, &session, viewer: viewer, lastInput: 4_294_967_298)
        model.next(tick: 26)
        model.events = [event("boom", to: viewer), event("ping", to: 0), event("boom", to: 0)]
        send(model, &session, viewer: viewer, lastInput: 4_294_967_298)

        // Client messages: inputs at both ends of every type, random ones,
        // and client events whose strings fill their maximum.
        let input = schema.input
        // Lowest and highest values that survive decode + encode (a quat's
        // extreme packings are not unit quaternions, the highest f32 is a NaN
        // with a payload): random ones instead of those.
        func extreme(_ type: FieldType, high: Bool) -> Int64 {
            let q = StateModel.extreme(type, high: high).stored
            return VectorValues.roundTrips(q, type) ? q : encodable(&rng, type)
        }
        session.input(sequence: 1, values: input.map { extreme($0.type, high: false) })
        for sequence: UInt64 in [2, 127, 128, 16_384, 4_294_967_295] {
            session.input(sequence: sequence, values: input.map { encodable(&rng, $0.type) })
        }
        session.input(sequence: 9_007_199_254_740_991, values: input.map { extreme($0.type, high: true) })
        for (e, set) in schema.clientEvents.enumerated() {
            for high in [false, true] {
                var strings = StringTable()
                let values: [Int64] = set.fields.map { field in
                    switch StateModel.extreme(field.type, high: high) {
                    case .text(let bytes): return Int64(strings.append(bytes))
                    case .q: return extreme(field.type, high: high)
                    }
                }
                session.clientEvent(e, values: values, strings: strings)
            }
        }
        clientMessages(&rng, &session, sequences: [], ticks: [0, 1, 127, 128, 16_383, 16_384, 2_147_483_647, 9_007_199_254_740_991])
        return session.json
    }
}

extension StateModel.Cell {
    /// The stored integer of a non-string cell.
    var stored: Int64 {
        guard case .q(let q) = self else { preconditionFailure("a string has no stored integer here") }
        return q
    }
}
