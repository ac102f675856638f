import Foundation
import Testing
import Protocol

/// The shared protocol vectors (Tests/vectors/protocol-v2.json): Swift's
/// own decoders accept every session as the file says, refuse every
/// `error` entry, and encode every client message to the file's bytes;
/// and the file is what the generator writes today.
///
/// `TICKWIRE_WRITE_VECTORS=1` writes the file instead of checking it is up
/// to date (scripts/vectors).
@Suite struct ProtocolVectorTests {
    static var writing: Bool { ProcessInfo.processInfo.environment["TICKWIRE_WRITE_VECTORS"] == "1" }

    static func load() throws -> JSON {
        try JSON.parse(Array(Data(contentsOf: ProtocolVectors.file)))
    }

    @Test func fileIsUpToDate() throws {
        let fresh = try ProtocolVectors.generate()
        #expect(fresh.count < 1_000_000, "the vectors should stay under 1 MB, not \(fresh.count) bytes")
        if Self.writing {
            try FileManager.default.createDirectory(at: ProtocolVectors.file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(fresh).write(to: ProtocolVectors.file, options: .atomic)
            return
        }
        let onDisk = (try? Data(contentsOf: ProtocolVectors.file)).map { Array($0) } ?? []
        guard onDisk != fresh else { return }
        let first = (0..<min(onDisk.count, fresh.count)).first { onDisk[$0] != fresh[$0] } ?? min(onDisk.count, fresh.count)
        let line = fresh.prefix(first).filter { $0 == UInt8(ascii: "\n") }.count + 1
        Issue.record("""
            Tests/vectors/protocol-v2.json is stale (\(onDisk.count) bytes on disk, \(fresh.count) generated; \
            first difference on line \(line)): run scripts/vectors and commit the file
            """)
    }

    @Test(.disabled(if: writing, "the file is being written")) func sessionsDecodeAsTheFileSays() throws {
        let document = try Self.load()
        #expect(document["protocol"] == .integer(ProtocolVersion.current))
        var coverage = Coverage()
        let sessions = document["sessions"]?.array ?? []
        #expect(!sessions.isEmpty)
        for session in sessions { try check(session, &coverage) }
        coverage.expectEverythingSeen()
    }

    @Test(.disabled(if: writing, "the file is being written")) func clientMessagesEncodeToTheFileBytes() throws {
        for session in try Self.load()["sessions"]?.array ?? [] where session["error"] == nil {
            let name = session["name"]?.string ?? "?"
            let schema = try Welcome.decode(try bytes(session["welcome"])).schema
            try checkClientMessages(session, schema: schema, name: name)
        }
    }

    // MARK: Sessions

    private func bytes(_ json: JSON?) throws -> [UInt8] {
        try #require(json?.string.flatMap(Hex.decode), "not a hex string: \(String(describing: json))")
    }

    /// What the mirror's callbacks reported while one snapshot was applied.
    private final class Callbacks {
        var added: [UInt32] = []
        var removed: [UInt32] = []
        var changed: [JSON] = []
        var events: [EventView] = []

        var isEmpty: Bool { added.isEmpty && removed.isEmpty && changed.isEmpty && events.isEmpty }
    }

    private func check(_ session: JSON, _ coverage: inout Coverage) throws {
        let name = session["name"]?.string ?? "?"
        let welcomeBytes = try bytes(session["welcome"])
        if let why = session["error"] {
            #expect(throws: ProtocolError.self, "\(name): \(why)") { try Welcome.decode(welcomeBytes) }
            coverage.refusedWelcomes += 1
            return
        }
        let welcome = try Welcome.decode(welcomeBytes)
        #expect(VectorValues.json(welcome) == session["expect"], "\(name): the welcome decodes to \(VectorValues.json(welcome))")
        coverage.see(welcome.schema)

        let mirror = try ClientMirror(welcome: welcomeBytes)
        let log = Callbacks()
        mirror.onAdded = { log.added.append($0.id) }
        mirror.onRemoved = { log.removed.append($0.id) }
        mirror.onChanged = { entity, fields in
            log.changed.append(.object([("id", .integer(entity.id)), ("fields", .array(fields.map { .string(entity.fieldNames[$0]) }))]))
        }
        mirror.onEvent = { log.events.append($0) }

        for (i, entry) in (session["snapshots"]?.array ?? []).enumerated() {
            let message = try bytes(entry["bytes"])
            let context = "\(name), snapshot \(i)"
            (log.added, log.removed, log.changed, log.events) = ([], [], [], [])
            let before = observed(mirror, log)
            let (heldTick, heldInput) = (mirror.state?.tick, mirror.lastProcessedInput)
            if let why = entry["error"] {
                #expect(throws: ProtocolError.self, "\(context) should be refused: \(why)") { try mirror.apply(message) }
                #expect(mirror.state?.tick == heldTick && mirror.lastProcessedInput == heldInput, "\(context): the state moved")
                #expect(observed(mirror, log) == before, "\(context): the state changed")
                #expect(log.isEmpty, "\(context): callbacks ran for a refused message")
                coverage.refusedSnapshots += 1
                continue
            }
            do {
                try mirror.apply(message)
            } catch {
                Issue.record("\(context) is refused: \(error)")
                continue
            }
            let actual = observed(mirror, log)
            let expected = entry["expect"] ?? .null
            if actual != expected {
                let keys = expected.pairs.map(\.0).filter { actual[$0] != expected[$0] }
                Issue.record("\(context) decodes differently in \(keys): \(keys.map { "\($0) = \(actual[$0] ?? .null)" })")
            }
            // The event views the mirror hands out say the same as the state.
            #expect(log.events.map(\.name) == (expected["events"]?.array ?? []).map { $0["name"]?.string ?? "" }, "\(context): events")
            for (view, event) in zip(log.events, expected["events"]?.array ?? []) {
                for (field, value) in event["fields"]?.pairs ?? [] {
                    #expect(view[field].map(VectorValues.json) == value, "\(context): event \(view.name).\(field)")
                }
            }
            let header = try SnapshotHeader(message)
            coverage.see(header, held: heldTick, expect: expected)
        }
    }

    /// What a client sees after a snapshot, in the file's form: the state
    /// through the mirror's entity views, the events of the state, and what
    /// the callbacks reported.
    private func observed(_ mirror: ClientMirror, _ log: Callbacks) -> JSON {
        guard let state = mirror.state else { return .null }
        let schema = mirror.schema
        let entities: [JSON] = mirror.entities.map { e in
            .object([
                ("id", .integer(e.id)),
                ("kind", .string(e.kind)),
                ("fields", .object(e.fieldNames.enumerated().map { ($1, VectorValues.json(e[$0])) })),
            ])
        }
        let events: [JSON] = state.events.map { event in
            let set = schema.events[Int(event.kind)]
            return .object([
                ("name", .string(set.name)),
                ("to", .integer(event.to)),
                ("fields", VectorValues.fields(set.fields, values: state.fields(at: event.offset, count: set.fields.count), strings: state.strings)),
            ])
        }
        return .object([
            ("tick", .integer(state.tick)),
            ("lastInput", .integer(mirror.lastProcessedInput)),
            ("match", VectorValues.fields(schema.match.fields, values: state.match, strings: state.strings)),
            ("entities", .array(entities)),
            ("events", .array(events)),
            ("added", .array(log.added.map { .integer($0) })),
            ("removed", .array(log.removed.map { .integer($0) })),
            ("changed", .array(log.changed)),
        ])
    }

    // MARK: Client messages

    private func values(_ json: JSON?, _ fields: [Field], strings: inout StringTable, _ context: String) throws -> [Int64] {
        try fields.map { field in
            try #require(json?[field.name].flatMap { VectorValues.stored($0, field.type, strings: &strings) },
                         "\(context): no value for \(field.name) (\(field.type))")
        }
    }

    private func checkClientMessages(_ session: JSON, schema: GameSchema, name: String) throws {
        for (i, input) in (session["inputs"]?.array ?? []).enumerated() {
            let context = "\(name), input \(i)"
            let wire = try bytes(input["bytes"])
            let sequence = try #require(input["sequence"]?.double.flatMap { UInt64(exactly: $0) }, "\(context): sequence")
            var strings = StringTable()
            let stored = try values(input["values"], schema.input, strings: &strings, context)
            #expect(InputMessage(sequence: sequence, values: stored).encode(schema: schema) == wire, "\(context) encodes differently")
            guard case .input(let decoded) = try ClientMessage.decode(wire, schema: schema) else {
                Issue.record("\(context) does not decode as an input")
                continue
            }
            #expect(decoded.sequence == sequence)
            #expect(VectorValues.fields(schema.input, values: decoded.values, strings: StringTable()) == input["values"], "\(context) decodes differently")
        }
        for (i, event) in (session["clientEvents"]?.array ?? []).enumerated() {
            let context = "\(name), client event \(i)"
            let wire = try bytes(event["bytes"])
            let index = try #require(schema.clientEvents.firstIndex { $0.name == event["name"]?.string }, "\(context): no such event")
            var strings = StringTable()
            let stored = try values(event["values"], schema.clientEvents[index].fields, strings: &strings, context)
            #expect(ClientEventMessage(event: index, values: stored, strings: strings).encode(schema: schema) == wire,
                    "\(context) encodes differently")
            guard case .clientEvent(let decoded) = try ClientMessage.decode(wire, schema: schema) else {
                Issue.record("\(context) does not decode as a client event")
                continue
            }
            #expect(decoded.event == index)
            #expect(VectorValues.fields(schema.clientEvents[index].fields, values: decoded.values, strings: decoded.strings) == event["values"],
                    "\(context) decodes differently")
        }
        for (i, ack) in (session["acks"]?.array ?? []).enumerated() {
            let wire = try bytes(ack["bytes"])
            let tick = try #require(ack["tick"]?.int, "\(name), ack \(i): tick")
            #expect(AckMessage(tick: tick).encode() == wire, "\(name), ack \(i) encodes differently")
            #expect(try ClientMessage.decode(wire, schema: schema) == .ack(AckMessage(tick: tick)))
        }
    }
}

/// What the vectors exercise, counted while they are checked, so a
/// regenerated file cannot quietly lose a case.
private struct Coverage {
    var types: Set<String> = []
    var refusedWelcomes = 0
    var refusedSnapshots = 0
    var fullAfterFirst = 0
    var skippingDeltas = 0
    var kindChanges = 0
    var privateEvents = 0
    var broadcastEvents = 0
    var specials: Set<String> = []
    var negativeZero = false
    var sawState = false
    /// Snapshots predicted from the state before the baseline, and those
    /// with a gap of more than a tick on either side of the baseline.
    var predicted = 0
    var predictedOverGaps = 0

    mutating func see(_ schema: GameSchema) {
        for field in schema.match.fields + schema.kinds.flatMap(\.fields) + schema.input
            + schema.events.flatMap(\.fields) + schema.clientEvents.flatMap(\.fields) {
            types.insert(VectorValues.json(field)["type"]?.string ?? "?")
        }
    }

    mutating func see(_ header: SnapshotHeader, held: Int?, expect: JSON) {
        if let held {
            if header.baselineTick == nil { fullAfterFirst += 1 }
            if let base = header.baselineTick, base == held, base < header.tick - 1 { skippingDeltas += 1 }
        }
        if let prior = header.priorTick, let base = header.baselineTick {
            predicted += 1
            if base - prior > 1 || header.tick - base > 1 { predictedOverGaps += 1 }
        }
        let added = Set((expect["added"]?.array ?? []).compactMap(\.int))
        kindChanges += (expect["removed"]?.array ?? []).compactMap(\.int).filter(added.contains).count
        for event in expect["events"]?.array ?? [] {
            if event["to"]?.int == 0 { broadcastEvents += 1 } else { privateEvents += 1 }
        }
        scan(expect)
        sawState = true
    }

    private mutating func scan(_ json: JSON) {
        switch json {
        case .string(let s) where ["NaN", "Infinity", "-Infinity"].contains(s): specials.insert(s)
        case .number(let d) where d == 0 && d.sign == .minus: negativeZero = true
        case .array(let items): for item in items { scan(item) }
        case .object(let pairs): for (_, value) in pairs { scan(value) }
        default: break
        }
    }

    func expectEverythingSeen() {
        #expect(sawState)
        #expect(types == ["bool", "u8", "i8", "u16", "i16", "u32", "i32", "f32", "fixed", "angle", "string", "entity", "vec3", "quat"])
        #expect(refusedWelcomes >= 5)
        #expect(refusedSnapshots >= 12)
        #expect(predicted >= 20)
        #expect(predictedOverGaps >= 2)
        #expect(fullAfterFirst >= 2)
        #expect(skippingDeltas >= 2)
        #expect(kindChanges >= 2)
        #expect(privateEvents >= 1 && broadcastEvents >= 1)
        #expect(specials == ["NaN", "Infinity", "-Infinity"])
        #expect(negativeZero)
    }
}
