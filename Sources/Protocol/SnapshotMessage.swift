/// A whole `snapshot` message (docs/protocol.md):
///
///     u8 0x02 | varint tick | varint tick - baseline (0: full) | varint last input
///     | state delta (SnapshotDelta), aligned | events, aligned
///
/// Each part is byte-aligned, so a server builds a message by concatenating
/// a per-player header, the state delta it encoded once for everyone on the
/// same baseline, and the events for that audience.
public enum SnapshotMessage {
    public static let type: UInt8 = 0x02
    /// Most events one snapshot may carry; a decoder refuses more.
    public static let maxEvents = 4096

    /// Who a snapshot's events are for.
    public enum Audience: Sendable, Hashable {
        /// Broadcast events and those sent to this player.
        case player(Int)
        /// Broadcast events only.
        case spectator
        /// Every event (headless observers that stand in for all players).
        case everyone

        func receives(_ to: Int) -> Bool {
            switch self {
            case .player(let id): to == 0 || to == id
            case .spectator: to == 0
            case .everyone: true
            }
        }
    }

    /// `tick` ≥ 0 and `baselineTick` < `tick` (a baseline is an earlier
    /// snapshot: `Match.frame` only picks one older than the current tick).
    public static func header(tick: Int, baselineTick: Int?, lastInput: UInt64) -> [UInt8] {
        var w = BitWriter(capacity: 16)
        w.write(UInt64(type), count: 8)
        var t = UInt64(tick)
        try! w.varint(&t)
        var distance = baselineTick.map { UInt64(tick - $0) } ?? 0
        try! w.varint(&distance)
        var input = lastInput
        try! w.varint(&input)
        return w.finish()
    }

    /// The state delta, as every client on this baseline receives it.
    public static func state(from baseline: Snapshot?, to current: Snapshot, coding: SnapshotCoding) -> [UInt8] {
        var w = BitWriter(capacity: 256)
        SnapshotDelta.encode(from: baseline, to: current, coding: coding, into: &w)
        return w.finish()
    }

    /// The events of `snapshot` for `audience`.
    public static func events(of snapshot: Snapshot, for audience: Audience, coding: SnapshotCoding) -> [UInt8] {
        events(of: CollectionOfOne(snapshot), for: audience, coding: coding)
    }

    /// The events of several ticks, oldest first, for `audience`: what a
    /// client that skipped ticks (its socket was full) missed, so no event is
    /// lost when it catches up with one delta. Beyond `maxEvents`, the oldest
    /// are left out.
    ///
    /// The writes are `try!`: every event's recipient is 0 or in
    /// 1...`Welcome.maxPlayerID`, its kind within the schema and its values
    /// within their fields' ranges. `Match.takeSnapshot` keeps only such
    /// events (the prelude refuses a private event to anyone but a seated
    /// player, and seats are 1...`GameDefinition.playerCounts`, which ends at
    /// `Welcome.maxPlayerID`); decoded snapshots hold only such events.
    public static func events(of snapshots: some Collection<Snapshot>, for audience: Audience, coding: SnapshotCoding) -> [UInt8] {
        var w = BitWriter(capacity: 16)
        var chosen: [(snapshot: Snapshot, event: Snapshot.Event)] = []
        for snapshot in snapshots {
            for event in snapshot.events where audience.receives(event.to) { chosen.append((snapshot, event)) }
        }
        if chosen.count > maxEvents { chosen.removeFirst(chosen.count - maxEvents) }
        var n = chosen.count
        try! w.count(&n, limit: maxEvents)
        let range = 0...max(0, coding.events.count - 1)
        for (snapshot, event) in chosen {
            var isPrivate = event.to != 0
            try! w.bool(&isPrivate)
            if isPrivate {
                var to = event.to
                try! w.integer(&to, in: 1...Welcome.maxPlayerID)
            }
            var k = Int(event.kind)
            try! w.integer(&k, in: range)
            var at = Int(event.offset)
            for field in coding.events[k] {
                var q = snapshot.values[at]
                var bytes = field.isString ? Array(snapshot.strings.bytes(at: Int(q))) : []
                try! field.full(&q, bytes: &bytes, &w)
                at += 1
            }
        }
        return w.finish()
    }

    /// A whole message, for one recipient.
    public static func encode(from baseline: Snapshot?, to current: Snapshot, lastInput: UInt64 = 0,
                              audience: Audience, coding: SnapshotCoding) -> [UInt8] {
        header(tick: current.tick, baselineTick: baseline?.tick, lastInput: lastInput)
            + state(from: baseline, to: current, coding: coding)
            + events(of: current, for: audience, coding: coding)
    }

    public struct Decoded: Sendable {
        /// The state at the message's tick, with its events.
        public let snapshot: Snapshot
        /// The baseline it was coded against (nil: a full snapshot).
        public let baselineTick: Int?
        /// The last input of this player the server had processed.
        public let lastInput: UInt64
    }

    /// Decodes a message against the state the reader holds. Refuses a
    /// baseline other than `baseline`'s tick (`ProtocolError.baseline`).
    public static func decode(_ bytes: [UInt8], baseline: Snapshot?, coding: SnapshotCoding) throws(ProtocolError) -> Decoded {
        var r = BitReader(bytes)
        let header = try SnapshotHeader.read(from: &r)
        let (tick, baselineTick, lastInput) = (header.tick, header.baselineTick, header.lastProcessedInput)
        if let baselineTick, baseline?.tick != baselineTick {
            throw ProtocolError(.baseline, "snapshot \(tick) is coded against tick \(baselineTick), but this client holds \(baseline.map { "tick \($0.tick)" } ?? "nothing")")
        }
        let state = try SnapshotDelta.decode(&r, baseline: baselineTick == nil ? nil : baseline, tick: tick, coding: coding)

        var count = 0
        try r.count(&count, limit: min(maxEvents, r.remainingBits))
        var values = state.values
        var strings = state.strings
        var events: [Snapshot.Event] = []
        let range = 0...max(0, coding.events.count - 1)
        for _ in 0..<count {
            guard !coding.events.isEmpty else { throw ProtocolError(.outOfRange, "an event arrived but the schema declares none") }
            var isPrivate = false
            try r.bool(&isPrivate)
            var to = 0
            if isPrivate { try r.integer(&to, in: 1...Welcome.maxPlayerID) }
            var k = 0
            try r.integer(&k, in: range)
            events.append(Snapshot.Event(to: to, kind: UInt16(k), offset: Int32(values.count)))
            for field in coding.events[k] {
                var q: Int64 = 0
                var bytes: [UInt8] = []
                try field.full(&q, bytes: &bytes, &r)
                values.append(field.isString ? Int64(strings.append(bytes)) : q)
            }
        }
        try r.expectEnd()
        let snapshot = Snapshot(tick: tick, match: state.match, entities: state.entities, values: values, events: events, strings: strings)
        return Decoded(snapshot: snapshot, baselineTick: baselineTick, lastInput: lastInput)
    }
}
