/// A whole `snapshot` message (docs/protocol.md):
///
///     u8 0x02 | varint tick | varint tick - baseline (0: full)
///     | varint baseline - prior (0: no prediction) | varint last input
///     | state delta (SnapshotDelta), aligned | events, aligned
///
/// Each part is byte-aligned, so a server builds a message by concatenating
/// a per-player header, the state delta it encoded once for everyone on the
/// same baseline and prior, and the events for that audience.
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

    /// `tick` ≥ 0, `baselineTick` < `tick` (a baseline is an earlier
    /// snapshot: `Match.frame` only picks one older than the current tick),
    /// and `priorTick` < `baselineTick` with `tick - baselineTick` at most
    /// `PredictionGaps.maxAhead` (`usablePrior` picks only such a prior).
    public static func header(tick: Int, baselineTick: Int?, priorTick: Int? = nil, lastInput: UInt64) -> [UInt8] {
        SnapshotHeader(tick: tick, baselineTick: baselineTick, priorTick: priorTick, lastProcessedInput: lastInput).encode()
    }

    /// The state delta, as every client on this baseline and prior receives it.
    public static func state(from baseline: Snapshot?, prior: Snapshot? = nil, to current: Snapshot, coding: SnapshotCoding) -> [UInt8] {
        var w = BitWriter(capacity: 256)
        SnapshotDelta.encode(from: baseline, prior: prior, to: current, coding: coding, into: &w)
        return w.finish()
    }

    /// `prior` when a message from `baseline` to tick `tick` may predict
    /// from it: older than the baseline, and the message at most
    /// `PredictionGaps.maxAhead` ticks after the baseline.
    public static func usablePrior(_ prior: Snapshot?, baseline: Snapshot?, tick: Int) -> Snapshot? {
        guard let prior, let baseline, prior.tick < baseline.tick, tick - baseline.tick <= PredictionGaps.maxAhead else { return nil }
        return prior
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

    /// A whole message, for one recipient holding `baseline` and, before
    /// it, `prior`.
    public static func encode(from baseline: Snapshot?, prior: Snapshot? = nil, to current: Snapshot, lastInput: UInt64 = 0,
                              audience: Audience, coding: SnapshotCoding) -> [UInt8] {
        let prior = usablePrior(prior, baseline: baseline, tick: current.tick)
        return header(tick: current.tick, baselineTick: baseline?.tick, priorTick: prior?.tick, lastInput: lastInput)
            + state(from: baseline, prior: prior, to: current, coding: coding)
            + events(of: current, for: audience, coding: coding)
    }

    public struct Decoded: Sendable {
        /// The state at the message's tick, with its events.
        public let snapshot: Snapshot
        /// The baseline it was coded against (nil: a full snapshot).
        public let baselineTick: Int?
        /// The state before the baseline it predicted from (nil: none).
        public let priorTick: Int?
        /// The last input of this player the server had processed.
        public let lastInput: UInt64
    }

    /// Decodes a message against the state the reader holds (`baseline`)
    /// and the one it held before (`prior`). Refuses a baseline or prior
    /// other than theirs (`ProtocolError.baseline`).
    public static func decode(_ bytes: [UInt8], baseline: Snapshot?, prior: Snapshot? = nil,
                              coding: SnapshotCoding) throws(ProtocolError) -> Decoded {
        var r = BitReader(bytes)
        let header = try SnapshotHeader.read(from: &r)
        let (tick, baselineTick, priorTick, lastInput) = (header.tick, header.baselineTick, header.priorTick, header.lastProcessedInput)
        if let baselineTick, baseline?.tick != baselineTick {
            throw ProtocolError(.baseline, "snapshot \(tick) is coded against tick \(baselineTick), but this client holds \(baseline.map { "tick \($0.tick)" } ?? "nothing")")
        }
        if let priorTick, prior?.tick != priorTick {
            throw ProtocolError(.baseline, "snapshot \(tick) predicts from tick \(priorTick), but before its baseline this client held \(prior.map { "tick \($0.tick)" } ?? "nothing")")
        }
        let state = try SnapshotDelta.decode(&r, baseline: baselineTick == nil ? nil : baseline,
                                             prior: priorTick == nil ? nil : prior, tick: tick, coding: coding)

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
        return Decoded(snapshot: snapshot, baselineTick: baselineTick, priorTick: priorTick, lastInput: lastInput)
    }
}
