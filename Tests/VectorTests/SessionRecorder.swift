import Protocol
import Testing

/// One session of the vectors, recorded as a server sends it: the welcome,
/// then snapshot messages with what a client must see after each (taken
/// from the states the messages were encoded from, not from a decoder),
/// refusals, and client-message encodings.
///
///     {"name", "welcome": hex, "expect": WELCOME,
///      "snapshots": [{"bytes": hex, "expect": {...}} | {"bytes": hex, "error": why}],
///      "inputs": [...], "clientEvents": [...], "acks": [...]}
struct SessionRecorder {
    let name: String
    let welcome: Welcome
    let welcomeBytes: [UInt8]
    let coding: SnapshotCoding
    var schema: GameSchema { welcome.schema }
    /// The state the client holds: that of the last snapshot recorded.
    private(set) var held: Snapshot?
    /// The state it held before that, which the next snapshot may predict from.
    private(set) var previous: Snapshot?
    /// Its entities as the vectors write them, by id.
    private var heldEntities: [UInt32: (kind: String, fields: [(String, JSON)])] = [:]
    private var snapshots: [JSON] = []
    private var inputs: [JSON] = []
    private var clientEvents: [JSON] = []
    private var acks: [JSON] = []

    init(name: String, welcome: Welcome, bytes: [UInt8]? = nil) {
        self.name = name
        self.welcome = welcome
        welcomeBytes = bytes ?? welcome.encode()
        precondition(welcomeBytes == welcome.encode(), "\(name): the welcome's bytes are not those of its value")
        coding = SnapshotCoding(welcome.schema)
    }

    // MARK: Snapshots

    /// A snapshot message that brings `state`, with `events` (each with the
    /// snapshot holding its values) as this client receives them.
    mutating func snapshot(_ bytes: [UInt8], state: Snapshot, lastInput: UInt64,
                           events: [(snapshot: Snapshot, event: Snapshot.Event)]) {
        var entities: [UInt32: (kind: String, fields: [(String, JSON)])] = [:]
        var list: [JSON] = []
        for e in state.entities {
            let kind = schema.kinds[Int(e.kind)]
            let fields = VectorValues.fields(kind.fields, values: state.fields(at: e.offset, count: kind.fields.count), strings: state.strings)
            entities[e.id] = (kind.name, fields.pairs)
            list.append(.object([("id", .integer(e.id)), ("kind", .string(kind.name)), ("fields", fields)]))
        }
        var added: [UInt32] = [], removed: [UInt32] = [], changed: [JSON] = []
        for id in Set(entities.keys).union(heldEntities.keys).sorted() {
            switch (heldEntities[id], entities[id]) {
            case (nil, _?): added.append(id)
            case (_?, nil): removed.append(id)
            case (let old?, let new?) where old.kind != new.kind:
                removed.append(id)
                added.append(id)
            case (let old?, let new?):
                let names = zip(old.fields, new.fields).filter { $0.1 != $1.1 }.map { JSON.string($0.0.0) }
                if !names.isEmpty { changed.append(.object([("id", .integer(id)), ("fields", .array(names))])) }
            case (nil, nil): break
            }
        }
        let eventList: [JSON] = events.map { snapshot, event in
            let set = schema.events[Int(event.kind)]
            return .object([
                ("name", .string(set.name)),
                ("to", .integer(event.to)),
                ("fields", VectorValues.fields(set.fields, values: snapshot.fields(at: event.offset, count: set.fields.count),
                                               strings: snapshot.strings)),
            ])
        }
        let expect: JSON = .object([
            ("tick", .integer(state.tick)),
            ("lastInput", .integer(lastInput)),
            ("match", VectorValues.fields(schema.match.fields, values: state.match, strings: state.strings)),
            ("entities", .array(list)),
            ("events", .array(eventList)),
            ("added", .array(added.map { .integer($0) })),
            ("removed", .array(removed.map { .integer($0) })),
            ("changed", .array(changed)),
        ])
        snapshots.append(.object([("bytes", .string(Hex.encode(bytes))), ("expect", expect)]))
        previous = held
        held = state
        heldEntities = entities
    }

    /// A message the client must refuse, keeping the state it holds. The
    /// reason is Swift's; a vector that decodes is a bug in the generator.
    mutating func refused(_ bytes: [UInt8]) {
        snapshots.append(.object([("bytes", .string(Hex.encode(bytes))), ("error", .string(refusal(of: bytes)))]))
    }

    /// Why a client holding `held` refuses `bytes`. A message Swift's
    /// decoder accepts fails the test that generates the vectors.
    func refusal(of bytes: [UInt8]) -> String {
        guard let error = error(decoding: bytes) else {
            Issue.record("\(name): Swift's decoder accepts a snapshot the spec refuses (\(Hex.encode(bytes)))")
            return "accepted by Swift's decoder"
        }
        return error.description
    }

    /// Why a client holding `held` refuses `bytes`; nil if it accepts them.
    func error(decoding bytes: [UInt8]) -> ProtocolError? {
        do {
            _ = try SnapshotMessage.decode(bytes, baseline: held, prior: previous, coding: coding)
            return nil
        } catch {
            return error
        }
    }

    // MARK: Client messages

    mutating func input(sequence: UInt64, values: [Int64]) {
        checkRoundTrips(values, schema.input, "input")
        let bytes = InputMessage(sequence: sequence, values: values).encode(schema: schema)
        inputs.append(.object([
            ("sequence", .integer(sequence)),
            ("values", VectorValues.fields(schema.input, values: values, strings: StringTable())),
            ("bytes", .string(Hex.encode(bytes))),
        ]))
    }

    mutating func clientEvent(_ event: Int, values: [Int64], strings: StringTable) {
        let set = schema.clientEvents[event]
        checkRoundTrips(values, set.fields, set.name)
        let bytes = ClientEventMessage(event: event, values: values, strings: strings).encode(schema: schema)
        clientEvents.append(.object([
            ("name", .string(set.name)),
            ("values", VectorValues.fields(set.fields, values: values, strings: strings)),
            ("bytes", .string(Hex.encode(bytes))),
        ]))
    }

    mutating func ack(_ tick: Int) {
        acks.append(.object([("tick", .integer(tick)), ("bytes", .string(Hex.encode(AckMessage(tick: tick).encode())))]))
    }

    private func checkRoundTrips(_ values: [Int64], _ fields: [Field], _ owner: String) {
        for (q, field) in zip(values, fields) {
            precondition(VectorValues.roundTrips(q, field.type), "\(name): \(owner).\(field.name) = \(q) does not survive decode + encode")
        }
    }

    // MARK: The session

    var json: JSON {
        .object([
            ("name", .string(name)),
            ("welcome", .string(Hex.encode(welcomeBytes))),
            ("expect", VectorValues.json(welcome)),
            ("snapshots", .array(snapshots)),
            ("inputs", .array(inputs)),
            ("clientEvents", .array(clientEvents)),
            ("acks", .array(acks)),
        ])
    }

    /// A session whose welcome a client must refuse.
    static func refusedWelcome(name: String, bytes: [UInt8]) -> JSON {
        var why = "accepted by Swift's decoder"
        do {
            _ = try Welcome.decode(bytes)
            Issue.record("\(name): Swift's decoder accepts a welcome the spec refuses")
        } catch {
            why = error.description
        }
        return .object([("name", .string(name)), ("welcome", .string(Hex.encode(bytes))), ("error", .string(why))])
    }
}
