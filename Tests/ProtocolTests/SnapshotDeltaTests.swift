import Testing
@testable import Protocol
import ProtocolTestSupport


enum StateGenerator {
    static func fieldType(_ rng: inout SplitMix64, kinds: [String]) -> FieldType {
        switch rng.int(0...11) {
        case 10: return .vec3(x: FieldType.Axis(min: -512, max: 512, step: 0.25), y: FieldType.Axis(min: 0, max: 100, step: 1),
                              z: FieldType.Axis(min: -1, max: 1, step: 0.001))
        case 11: return .quat(bits: rng.int(6...20))
        case 0: return .bool
        case 1: return .integer(bits: [8, 16, 32][rng.int(0...2)], signed: rng.chance(0.5))
        case 2: return .f32
        case 3: return .fixed(min: -1024, max: 1024, step: 1.0 / 32)
        case 4: return .fixed(min: 0, max: 1, step: 0.1)
        case 5: return .angle(bits: rng.int(2...16))
        case 6: return .string(maxBytes: rng.int(1...40))
        case 7: return .entity(kind: kinds.isEmpty || rng.chance(0.5) ? nil : kinds[rng.int(0...kinds.count - 1)])
        case 8: return .integer(bits: 8, signed: false)
        default: return .fixed(min: -3, max: 7.5, step: 0.4)
        }
    }

    static func fields(_ rng: inout SplitMix64, count: Int, kinds: [String]) -> [Field] {
        (0..<count).map { Field(name: "f\($0)", type: fieldType(&rng, kinds: kinds)) }
    }

    static func schema(_ rng: inout SplitMix64) -> GameSchema {
        let kindNames = (0..<rng.int(0...4)).map { "k\($0)" }
        let kinds = kindNames.enumerated().map { FieldSet(name: $1, index: $0 + 1, fields: fields(&rng, count: rng.int(0...12), kinds: kindNames)) }
        let events = (0..<rng.int(0...3)).map { FieldSet(name: "e\($0)", index: $0 + 1, fields: fields(&rng, count: rng.int(0...4), kinds: kindNames)) }
        return GameSchema(match: FieldSet(name: "match", index: 0, fields: fields(&rng, count: rng.int(0...5), kinds: kindNames)),
                          kinds: kinds, input: [], events: events)
    }

    static func value(_ rng: inout SplitMix64, _ type: FieldType, strings: inout StringTable) -> Int64 {
        if case .string(let max) = type {
            let length = rng.chance(0.2) ? max : rng.int(0...max)
            let bytes = (0..<length).map { _ in UInt8(rng.int(97...122)) }
            return Int64(strings.append(bytes))
        }
        let q = type.quantizer
        switch type {
        case .vec3:
            let c = (0..<3).map { _ in Double(rng.int(-2000...2000)) / 3 }
            return q.quantize(vector: c[0], y: c[1], z: c[2])
        case .quat:
            let c = (0..<4).map { _ in Double(rng.int(-1000...1000)) / 1000 }
            return q.quantize(quaternion: c[0], y: c[1], z: c[2], w: c[3])
        default: break
        }
        let range = type.range
        switch rng.int(0...5) {
        case 0: return range.lowerBound
        case 1: return range.upperBound
        default:
            let span = UInt64(range.upperBound - range.lowerBound) + 1
            return range.lowerBound + Int64(rng.next() % span)
        }
    }

    /// A snapshot with these entities (id → kind), fresh random values;
    /// with `older` (the snapshot before `previous`), half the changed
    /// numbers, vectors and quaternions move on steadily from there instead,
    /// give or take a step.
    static func snapshot(_ rng: inout SplitMix64, tick: Int, schema: GameSchema, entities: [(UInt32, Int)],
                         previous: Snapshot?, older: Snapshot? = nil, churn: Double) -> Snapshot {
        var strings = StringTable()
        var values: [Int64] = []
        var list: [Snapshot.Entity] = []
        for (id, kind) in entities.sorted(by: { $0.0 < $1.0 }) {
            list.append(Snapshot.Entity(id: id, kind: UInt16(kind), offset: Int32(values.count)))
            let old = previous?.entity(id: id).flatMap { $0.kind == UInt16(kind) ? $0 : nil }
            for (f, field) in schema.kinds[kind].fields.enumerated() {
                if let old, !rng.chance(churn), let previous {
                    let q = previous.values[Int(old.offset) + f]
                    if case .string = field.type {
                        values.append(Int64(strings.append(previous.strings.bytes(at: Int(q)))))
                    } else {
                        values.append(q)
                    }
                } else if let old, let previous, let before = older?.entity(id: id), before.kind == old.kind,
                          FieldCoding(field.type).relative, rng.chance(0.5) {
                    let parts = FieldCoding(field.type).components
                    let b = previous.values[Int(old.offset) + f], p = older!.values[Int(before.offset) + f]
                    if parts.sameFrame(b, p) {
                        let (bc, pc) = (parts.split(b), parts.split(p))
                        var next = bc
                        for c in 0..<parts.count {
                            next[c] = min(max(2 * bc[c] - pc[c] + Int64(rng.int(-1...1)), parts.lower(c)), parts.upper(c))
                        }
                        values.append(parts.join(next, frame: b))
                    } else {
                        values.append(value(&rng, field.type, strings: &strings))
                    }
                } else {
                    values.append(value(&rng, field.type, strings: &strings))
                }
            }
        }
        let match = schema.match.fields.map { value(&rng, $0.type, strings: &strings) }
        var events: [Snapshot.Event] = []
        for _ in 0..<(schema.events.isEmpty ? 0 : rng.int(0...3)) {
            let k = rng.int(0...schema.events.count - 1)
            events.append(Snapshot.Event(to: rng.chance(0.3) ? rng.int(1...4) : 0, kind: UInt16(k), offset: Int32(values.count)))
            for field in schema.events[k].fields { values.append(value(&rng, field.type, strings: &strings)) }
        }
        return Snapshot(tick: tick, match: match, entities: list, values: values, events: events, strings: strings)
    }
}


@Suite struct SnapshotDeltaTests {
    /// decode(encode(B → T)) applied to B gives exactly T, over random
    /// schemas, random state sequences and random baselines (including none).
    @Test(arguments: 0..<40)
    func roundTripsOverRandomSchemasAndStates(seed: Int) throws {
        var rng = SplitMix64(seed: UInt64(seed) &* 7919 &+ 1)
        let schema = StateGenerator.schema(&rng)
        let coding = SnapshotCoding(schema)
        var history: [Snapshot] = []
        var live: [(UInt32, Int)] = []
        var nextID: UInt32 = 1
        for tick in 0..<30 {
            if !schema.kinds.isEmpty {
                live.removeAll { _ in rng.chance(0.15) }                         // disappear
                for _ in 0..<rng.int(0...4) {                                      // appear
                    live.append((nextID, rng.int(0...schema.kinds.count - 1)))
                    nextID += UInt32(rng.int(1...3))
                }
                if rng.chance(0.2), !live.isEmpty, case let reused = rng.int(0...live.count - 1) {   // id reuse, new kind
                    live[reused].1 = rng.int(0...schema.kinds.count - 1)
                }
                if rng.chance(0.05) { live.append((UInt32.max - UInt32(tick), 0)) }            // extreme ids
            }
            var seen = Set<UInt32>()
            live = live.filter { seen.insert($0.0).inserted }
            let current = StateGenerator.snapshot(&rng, tick: tick, schema: schema, entities: live, previous: history.last,
                                                  older: history.dropLast().last, churn: rng.chance(0.5) ? 0.1 : 1)
            // A baseline among the last five (or none), and a prior before
            // it (or none): the one just before, or with a gap.
            let b: Int? = history.isEmpty || rng.chance(0.2) ? nil : rng.int(max(0, history.count - 5)...history.count - 1)
            let baseline = b.map { history[$0] }
            let prior: Snapshot? = b.flatMap { b in b == 0 || rng.chance(0.2) ? nil : history[rng.chance(0.6) ? b - 1 : rng.int(max(0, b - 4)...b - 1)] }
            for audience in [SnapshotMessage.Audience.everyone, .player(2), .spectator] {
                let bytes = SnapshotMessage.encode(from: baseline, prior: prior, to: current, lastInput: UInt64(tick), audience: audience, coding: coding)
                let decoded = try SnapshotMessage.decode(bytes, baseline: baseline, prior: prior, coding: coding)
                #expect(decoded.snapshot.hasSameState(as: current, schema: schema), "seed \(seed) tick \(tick)")
                #expect(decoded.baselineTick == baseline?.tick)
                #expect(decoded.priorTick == prior?.tick)
                #expect(decoded.lastInput == UInt64(tick))
                let expectedEvents = current.events.filter { e in
                    switch audience { case .everyone: true; case .spectator: e.to == 0; case .player(let p): e.to == 0 || e.to == p }
                }
                #expect(decoded.snapshot.events.map(\.kind) == expectedEvents.map(\.kind))
                #expect(decoded.snapshot.events.map(\.to) == expectedEvents.map(\.to))
            }
            history.append(current)
        }
    }

    @Test func unchangedStateCostsAlmostNothing() throws {
        var rng = SplitMix64(seed: 5)
        let schema = GameSchema(match: FieldSet(name: "match", index: 0, fields: [Field(name: "t", type: .integer(bits: 16, signed: false))]),
                                kinds: [FieldSet(name: "ship", index: 1, fields: StateGenerator.fields(&rng, count: 8, kinds: []))],
                                input: [], events: [])
        let a = StateGenerator.snapshot(&rng, tick: 1, schema: schema, entities: (1...50).map { ($0, 0) }, previous: nil, churn: 1)
        let b = Snapshot(tick: 2, match: a.match, entities: a.entities, values: a.values, events: [], strings: a.strings)
        let state = SnapshotMessage.state(from: a, to: b, coding: SnapshotCoding(schema))
        #expect(state.count == 1)   // match unchanged + three empty counts fit one byte
    }

    /// Found by the fuzzer: an id gap near 2^64 after an id wrapped the sum.
    @Test func anIDGapPastTwoToThe64IsRefused() throws {
        let schema = GameSchema(match: FieldSet(name: "match", index: 0, fields: []),
                                kinds: [FieldSet(name: "dot", index: 1, fields: [])], input: [], events: [])
        let coding = SnapshotCoding(schema)
        let baseline = Snapshot(tick: 1, match: [], entities: [.init(id: 1, kind: 0, offset: 0), .init(id: 2, kind: 0, offset: 0)],
                                values: [], events: [], strings: StringTable())
        var w = BitWriter()
        var unchanged = false, removed = 2
        var first: UInt64 = 1, huge = UInt64.max
        try w.bool(&unchanged)
        try w.count(&removed, limit: 2)
        try w.gamma(&first)
        try w.gamma(&huge)
        var r = BitReader(w.finish())
        #expect(throws: ProtocolError.self) { try SnapshotDelta.decode(&r, baseline: baseline, tick: 2, coding: coding) }
    }

    @Test func deltaRefusesTheWrongBaseline() throws {
        var rng = SplitMix64(seed: 9)
        let schema = GameSchema(match: FieldSet(name: "match", index: 0, fields: []),
                                kinds: [FieldSet(name: "dot", index: 1, fields: [Field(name: "x", type: .integer(bits: 8, signed: false))])],
                                input: [], events: [])
        let coding = SnapshotCoding(schema)
        let a = StateGenerator.snapshot(&rng, tick: 1, schema: schema, entities: [(1, 0), (2, 0)], previous: nil, churn: 1)
        let b = StateGenerator.snapshot(&rng, tick: 2, schema: schema, entities: [(2, 0), (3, 0)], previous: a, churn: 1)
        let bytes = SnapshotMessage.encode(from: a, to: b, audience: .everyone, coding: coding)
        #expect(throws: ProtocolError.self) { try SnapshotMessage.decode(bytes, baseline: nil, coding: coding) }
        #expect(throws: ProtocolError.self) { try SnapshotMessage.decode(bytes, baseline: b, coding: coding) }
        let c = Snapshot(tick: 1, match: [], entities: [], values: [], events: [], strings: StringTable())
        #expect(throws: ProtocolError.self) { try SnapshotMessage.decode(bytes, baseline: c, coding: coding) }

        // Predicted from a: a client must hold a before its baseline b.
        let d = StateGenerator.snapshot(&rng, tick: 3, schema: schema, entities: [(2, 0), (3, 0)], previous: b, older: a, churn: 1)
        let predicted = SnapshotMessage.encode(from: b, prior: a, to: d, audience: .everyone, coding: coding)
        #expect(try SnapshotMessage.decode(predicted, baseline: b, prior: a, coding: coding).snapshot.hasSameState(as: d, schema: schema))
        let tickZero = Snapshot(tick: 0, match: [], entities: [], values: [], events: [], strings: StringTable())
        for wrong in [nil, tickZero, b] {
            let error = try #require(throws: ProtocolError.self) { try SnapshotMessage.decode(predicted, baseline: b, prior: wrong, coding: coding) }
            #expect(error.code == .baseline)
        }
        // A prior is only sent within PredictionGaps.maxAhead ticks of the
        // baseline; a header that predicts further is refused.
        let far = Snapshot(tick: b.tick + PredictionGaps.maxAhead + 1, match: d.match, entities: d.entities, values: d.values,
                           events: d.events, strings: d.strings)
        let unpredicted = SnapshotMessage.encode(from: b, prior: a, to: far, audience: .everyone, coding: coding)
        #expect(try SnapshotHeader(unpredicted).priorTick == nil)
        let forged = SnapshotMessage.header(tick: far.tick, baselineTick: b.tick, priorTick: a.tick, lastInput: 0)
        #expect(throws: ProtocolError.self) { try SnapshotHeader(forged) }
    }

    /// Every prefix of a valid message, and random bytes, give an error or a
    /// state — never a crash, a hang or a huge allocation.
    @Test func hostileBytesAreRefused() throws {
        var rng = SplitMix64(seed: 77)
        for _ in 0..<20 {
            let schema = StateGenerator.schema(&rng)
            let coding = SnapshotCoding(schema)
            let ids: [(UInt32, Int)] = schema.kinds.isEmpty ? [] : (1...UInt32(rng.int(1...20))).map { ($0, rng.int(0...schema.kinds.count - 1)) }
            let a = StateGenerator.snapshot(&rng, tick: 3, schema: schema, entities: ids, previous: nil, churn: 1)
            let b = StateGenerator.snapshot(&rng, tick: 4, schema: schema, entities: ids.filter { _ in rng.chance(0.7) }, previous: a, churn: 0.3)
            let c = StateGenerator.snapshot(&rng, tick: 5, schema: schema, entities: ids.filter { _ in rng.chance(0.8) }, previous: b, older: a, churn: 0.5)
            let bytes = SnapshotMessage.encode(from: b, prior: a, to: c, audience: .everyone, coding: coding)
            for end in 0..<bytes.count {
                #expect(throws: ProtocolError.self) { try SnapshotMessage.decode(Array(bytes[..<end]), baseline: b, prior: a, coding: coding) }
            }
            for _ in 0..<300 {
                var garbage = bytes
                for _ in 0..<rng.int(1...4) { garbage[rng.int(0...garbage.count - 1)] = UInt8(rng.int(0...255)) }
                _ = try? SnapshotMessage.decode(garbage, baseline: b, prior: a, coding: coding)
                let random = [0x02] + (0..<rng.int(0...64)).map { _ in UInt8(rng.int(0...255)) }
                _ = try? SnapshotMessage.decode(random, baseline: b, prior: a, coding: coding)
            }
        }
    }
}

