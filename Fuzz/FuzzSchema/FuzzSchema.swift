import FuzzSupport
import Protocol

/// `GameSchema.decode`. What decodes must survive encode → decode unchanged
/// and encode to the same bytes again. Then the schema is put to use, since
/// its parameters are the fuzzer's too: a state holding every kind with
/// every field at the low end of its range, then at the high end, with every
/// event, must go through a full snapshot and a delta unchanged, and so
/// must inputs and client events at both ends.
enum FuzzSchema: FuzzTarget {
    static let name = "FuzzSchema"

    static func check(_ input: [UInt8]) {
        guard let first = FuzzFailure.roundTrip(input, "schema", decode: { try GameSchema.decode($0) }, encode: { $0.encode() }) else { return }
        checkValues(first, input: input)
    }

    /// Most bytes of string values in one state: a schema of thousands of
    /// 4096-byte strings fits in 64 KiB, and filling them all would make
    /// each run slow. Past it, strings hold one byte.
    static let stringBudget = 1 << 18

    static func checkValues(_ schema: GameSchema, input: [UInt8]) {
        let coding = SnapshotCoding(schema)
        let low = edgeState(schema, tick: 1, high: false)
        let high = edgeState(schema, tick: 2, high: true)
        let lowAgain = edgeState(schema, tick: 3, high: false)
        for (base, state) in [(nil, low), (nil, high), (low, high), (high, lowAgain)] {
            let bytes = SnapshotMessage.encode(from: base, to: state, lastInput: 1, audience: .everyone, coding: coding)
            let decoded: Snapshot
            do { decoded = try SnapshotMessage.decode(bytes, baseline: base, coding: coding).snapshot } catch {
                FuzzFailure.report("a \(base == nil ? "full snapshot" : "delta") to tick \(state.tick) at the ends of this schema's ranges is refused: \(error)", input: input)
            }
            if let difference = SnapshotChecks.difference(state, decoded, coding: coding) {
                FuzzFailure.report("a snapshot at the ends of this schema's ranges decodes differently: \(difference)", input: input)
            }
        }
        var messages: [ClientMessage] = []
        for high in [false, true] {
            var unused = StringTable()
            messages.append(.input(InputMessage(sequence: high ? UInt64.max : 1,
                                                values: schema.input.map { Fixtures.edge($0.type, high: high, strings: &unused) })))
            for (event, set) in schema.clientEvents.enumerated() {
                var strings = StringTable()
                let values = set.fields.map { Fixtures.edge($0.type, high: high, strings: &strings) }
                messages.append(.clientEvent(ClientEventMessage(event: event, values: values, strings: strings)))
            }
        }
        for message in messages {
            let bytes = message.encode(schema: schema)
            do {
                let decoded = try ClientMessage.decode(bytes, schema: schema)
                guard decoded == message else {
                    FuzzFailure.report("a client message at the ends of this schema's ranges decodes as \(decoded), sent as \(message)", input: input)
                }
            } catch {
                FuzzFailure.report("a client message at the ends of this schema's ranges is refused: \(error)", input: input)
            }
        }
    }

    /// Entity 2k + 1 of kind k for every kind, every field at one end of
    /// its range; one broadcast and one private event of each kind.
    static func edgeState(_ schema: GameSchema, tick: Int, high: Bool) -> Snapshot {
        var strings = StringTable()
        var budget = stringBudget
        func edge(_ type: FieldType) -> Int64 {
            if case .string(let maxBytes) = type, high {
                guard maxBytes <= budget else { return Int64(strings.append([UInt8(ascii: "x")])) }
                budget -= maxBytes
            }
            return Fixtures.edge(type, high: high, strings: &strings)
        }
        var values: [Int64] = []
        var entities: [Snapshot.Entity] = []
        for (k, kind) in schema.kinds.enumerated() {
            entities.append(Snapshot.Entity(id: UInt32(2 * k + 1), kind: UInt16(k), offset: Int32(values.count)))
            values += kind.fields.map { edge($0.type) }
        }
        let match = schema.match.fields.map { edge($0.type) }
        var events: [Snapshot.Event] = []
        for (k, event) in schema.events.enumerated() {
            for to in [0, high ? 255 : 1] {
                events.append(Snapshot.Event(to: to, kind: UInt16(k), offset: Int32(values.count)))
                values += event.fields.map { edge($0.type) }
            }
        }
        return Snapshot(tick: tick, match: match, entities: entities, values: values, events: events, strings: strings)
    }

    /// The rich schema, an empty one, and one set per type at its extremes.
    static func seeds() -> [[UInt8]] {
        let empty = GameSchema(match: FieldSet(name: "match", index: 0, fields: []), kinds: [], input: [], events: [])
        let extremes = GameSchema(
            match: FieldSet(name: "match", index: 0, fields: Fixtures.sortedFields([
                ("big", .string(maxBytes: 4096)), ("tiny", .fixed(min: -1e300, max: 1e300, step: 1e291)),
            ])),
            kinds: [FieldSet(name: "A", index: 1, fields: []), FieldSet(name: "_", index: 2, fields: [Field(name: "self", type: .entity(kind: "_"))])],
            input: [Field(name: "v", type: .vec3(x: .init(min: 0, max: 1, step: 1), y: .init(min: 0, max: 1, step: 1),
                                                z: .init(min: -4.5, max: 4.5, step: 1e-18 * 4)))],
            events: [], clientEvents: [FieldSet(name: "x", index: 1, fields: [Field(name: "q", type: .quat(bits: 20))])])
        return [Fixtures.schema, empty, extremes].map { $0.encode() }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzSchema.check(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

#if FUZZING
@_cdecl("FuzzSchema_main")
func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    FuzzCommand.libFuzzerMain(FuzzSchema.self, argc, argv, entry: fuzz)
}
#else
@main enum Replay {
    static func main() { FuzzCommand.replay(FuzzSchema.self) }
}
#endif
