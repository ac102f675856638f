import Protocol
import ProtocolTestSupport

/// Messages a client must refuse: welcomes it cannot accept, and snapshot
/// messages that do not apply to the state it holds or are malformed
/// (each followed by one that applies, to show the state was kept).
enum RefusalSessions {
    static let schema = GameSchema(
        match: SchemaSessions.set("match", 0, [("a", .bool), ("b", .bool), ("round", .integer(bits: 16, signed: false))]),
        kinds: [SchemaSessions.set("dot", 1, [("x", .fixed(min: -100, max: 100, step: 0.5)), ("name", .string(maxBytes: 12)),
                                              ("on", .bool)])],
        input: [Field(name: "dx", type: .integer(bits: 8, signed: true))],
        events: [SchemaSessions.set("beep", 1, [("n", .integer(bits: 8, signed: false))])])

    static let welcome = Welcome(playerID: 3, matchID: "refusals", tickRate: 30, tick: 10, resumeToken: "t", schema: schema)

    /// Welcomes a client refuses, each a session of its own.
    static func welcomes() -> [JSON] {
        let good = welcome.encode()
        var version = welcome
        version.protocolVersion = 1
        // The match's fields "a" and "b" (bool) are the first names of the
        // schema: swap them, or name both "a".
        let fields: [UInt8] = [1, UInt8(ascii: "a"), 0, 1, UInt8(ascii: "b"), 0]
        guard let at = good.indices.first(where: { good[$0...].starts(with: fields) }) else { preconditionFailure("no field names a, b") }
        var unsorted = good
        (unsorted[at + 1], unsorted[at + 4]) = (unsorted[at + 4], unsorted[at + 1])
        var duplicate = good
        duplicate[at + 4] = UInt8(ascii: "a")
        var unknownType = good
        unknownType[at + 2] = 9
        return [
            SessionRecorder.refusedWelcome(name: "welcome of protocol version 1", bytes: version.encode()),
            SessionRecorder.refusedWelcome(name: "welcome with match fields out of order (b, a)", bytes: unsorted),
            SessionRecorder.refusedWelcome(name: "welcome with a field name twice (a, a)", bytes: duplicate),
            SessionRecorder.refusedWelcome(name: "welcome with field type 9", bytes: unknownType),
            SessionRecorder.refusedWelcome(name: "welcome cut one byte short", bytes: Array(good.dropLast())),
            SessionRecorder.refusedWelcome(name: "welcome with a byte after its end", bytes: good + [0]),
            SessionRecorder.refusedWelcome(name: "welcome of another message type", bytes: [MessageType.snapshot.rawValue] + good.dropFirst()),
        ]
    }

    /// Snapshot messages refused against the state held, and the state kept.
    static func snapshots() -> JSON {
        var session = SessionRecorder(name: "refused snapshots: wrong baseline, wrong prior, prediction too far ahead, truncated, trailing bytes, padding, empty masks, a change to an entity just added, mode 7, a changed value equal to the baseline", welcome: welcome)
        let coding = session.coding
        var model = StateModel(schema: schema)
        func dot(_ x: Int64, _ name: String, _ on: Bool) -> StateModel.Entity {
            // Fields in schema order: name, on, x.
            .init(kind: 0, cells: [.text(Array(name.utf8)), .q(on ? 1 : 0), .q(x)])
        }
        func message(from baseline: Snapshot?, lastInput: UInt64 = 0) -> [UInt8] {
            SnapshotMessage.encode(from: baseline, to: model.snapshot, lastInput: lastInput, audience: .player(3), coding: coding)
        }

        // A delta before any state: the client holds nothing.
        model.next(tick: 10)
        model.match = [.q(1), .q(0), .q(7)]
        model.entities[1] = dot(200, "first", true)
        model.entities[2] = dot(0, "sécond", false)
        var earlier = StateModel(schema: schema)
        earlier.next(tick: 9)
        session.refused(message(from: earlier.snapshot))
        SchemaSessions.send(model, &session, viewer: 3, lastInput: 0)

        // Tick 11: first a delta from tick 9, which the client never held.
        earlier.entities = model.entities
        let base9 = earlier.snapshot
        model.next(tick: 11)
        model.entities[1] = dot(202, "first", true)
        session.refused(message(from: base9, lastInput: 1))
        let good11 = message(from: session.held, lastInput: 1)
        // Cut short: by its last byte, inside the state delta, to the header.
        session.refused(Array(good11.dropLast()))
        session.refused(Array(good11.prefix(good11.count / 2 + 2)))
        session.refused(Array(good11.prefix(4)))
        session.refused([])
        // A byte after the end.
        session.refused(good11 + [0])
        // Padding bits set: after the events (no events here: the last
        // byte is count 0 = 0x01), then in the state delta.
        precondition(good11.last == 0x01, "tick 11 should end with an empty event list")
        session.refused(Array(good11.dropLast()) + [0x81])
        guard let padded = paddingSet(in: good11, before: good11.count - 1, session: session) else {
            preconditionFailure("the state delta of tick 11 has no padding bit")
        }
        session.refused(padded)
        // Not a snapshot.
        session.refused([MessageType.welcome.rawValue] + good11.dropFirst())
        SchemaSessions.send(model, &session, viewer: 3, lastInput: 1)

        // Tick 12: a delta that removes entity 5, with the header's baseline
        // tick 11 (which the client holds) but made from a state that had
        // entity 5, which the client's does not.
        model.next(tick: 12)
        model.events = [.init(to: 0, kind: 0, cells: [.q(255)])]
        var withGhost = StateModel(schema: schema)
        withGhost.next(tick: 11)
        withGhost.match = model.match
        withGhost.entities = model.entities
        withGhost.entities[5] = dot(20, "ghost", false)
        session.refused(message(from: withGhost.snapshot, lastInput: 2))
        // Written bit by bit: the match, then an entity, listed as changed
        // with an empty field mask.
        session.refused(handWritten(tick: 12, baseline: 11) { w in
            w.write(1, count: 1)      // the match changed,
            w.write(0, count: 3)      // but no field of its 3 did
            w.writeGamma(1)           // removed: count 0
            w.writeGamma(1)           // added: count 0
            w.writeGamma(1)           // changed: count 0
        })
        session.refused(handWritten(tick: 12, baseline: 11) { w in
            w.write(0, count: 1)      // the match did not change
            w.writeGamma(1)           // removed: count 0
            w.writeGamma(1)           // added: count 0
            w.writeGamma(2)           // changed: count 1,
            w.writeGamma(1)           // entity 1,
            w.write(0, count: 1)      // not the previous mask,
            w.write(0, count: 3)      // an empty mask
        })
        // Entity 3 is added, then listed as changed: a change applies only
        // to an entity of the baseline.
        session.refused(handWritten(tick: 12, baseline: 11) { w in
            var none: [UInt8] = []
            var q: Int64 = 0
            var kind = 0
            w.write(0, count: 1)      // the match did not change
            w.writeGamma(1)           // removed: count 0
            w.writeGamma(2)           // added: count 1,
            w.writeGamma(3)           // entity 3,
            try! w.integer(&kind, in: 0...0)
            w.writeBytes([], maxBytes: 12)                              // name ""
            try! coding.kinds[0][1].full(&q, bytes: &none, &w)          // on false
            try! coding.kinds[0][2].full(&q, bytes: &none, &w)          // x
            w.writeGamma(2)           // changed: count 1,
            w.writeGamma(3)           // entity 3,
            w.write(0, count: 1)      // not the previous mask,
            w.write(0b100, count: 3)  // x changed,
            q = 4                     // by 4 steps
            var mode = FieldCoding.firstMode
            try! coding.kinds[0][2].changed(&q, from: 0, reference: .none, mode: &mode, bytes: &none, &w)
        })
        // Predicted from tick 9, but the client held tick 10 before its
        // baseline 11.
        session.refused(handWritten(tick: 12, baseline: 11, prior: 9) { w in
            w.write(0, count: 1)      // the match did not change
            w.writeGamma(1); w.writeGamma(1); w.writeGamma(1)   // nothing removed, added or changed
        })
        // Predicted over more than 4096 ticks past the baseline.
        session.refused(SnapshotMessage.header(tick: 11 + PredictionGaps.maxAhead + 1, baselineTick: 11, priorTick: 10, lastInput: 2)
                        + [0b1110, 0x01])
        // Entity 1's x in changed-value mode 7, which is not defined.
        session.refused(handWritten(tick: 12, baseline: 11, prior: 10) { w in
            w.write(0, count: 1)      // the match did not change
            w.writeGamma(1)           // removed: count 0
            w.writeGamma(1)           // added: count 0
            w.writeGamma(2)           // changed: count 1,
            w.writeGamma(1)           // entity 1,
            w.write(0, count: 1)      // not the previous mask,
            w.write(0b100, count: 3)  // x changed,
            w.write(0, count: 1)      // not the previous mode:
            w.write(7, count: 3)      // mode 7
        })
        // Entity 1's x from the prediction (mode 4) with a residual of 0,
        // in a message with no prior: the prediction is the baseline, and a
        // changed value cannot be the baseline's.
        session.refused(handWritten(tick: 12, baseline: 11) { w in
            w.write(0, count: 1)      // the match did not change
            w.writeGamma(1)           // removed: count 0
            w.writeGamma(1)           // added: count 0
            w.writeGamma(2)           // changed: count 1,
            w.writeGamma(1)           // entity 1,
            w.write(0, count: 1)      // not the previous mask,
            w.write(0b100, count: 3)  // x changed,
            w.write(0, count: 1)      // not the previous mode:
            w.write(4, count: 3)      // mode 4,
            w.writeGamma(1)           // residual 0
        })
        SchemaSessions.send(model, &session, viewer: 3, lastInput: 2)

        session.input(sequence: 1, values: [-1])
        session.input(sequence: 2, values: [-128])
        session.input(sequence: 3, values: [127])
        session.ack(12)
        return session.json
    }

    /// A snapshot message whose state delta `body` writes, with no events.
    static func handWritten(tick: Int, baseline: Int, prior: Int? = nil, _ body: (inout BitWriter) -> Void) -> [UInt8] {
        var w = BitWriter()
        body(&w)
        w.alignToByte()
        w.writeGamma(1)   // events: count 0
        w.alignToByte()
        return SnapshotMessage.header(tick: tick, baselineTick: baseline, priorTick: prior, lastInput: 2) + w.finish()
    }

    /// The message with the highest bit of byte `end - 1` set, if that bit
    /// is padding: the last byte of the state delta when `end` is where the
    /// events begin.
    static func paddingSet(in message: [UInt8], before end: Int, session: SessionRecorder) -> [UInt8]? {
        let at = end - 1
        guard message[at] & 0x80 == 0 else { return nil }
        var copy = message
        copy[at] |= 0x80
        return session.error(decoding: copy)?.message.contains("padding") == true ? copy : nil
    }
}
