/// Snapshot messages for players: "the frame for a player whose baseline is B".
///
/// A player's baseline is the tick of the last snapshot handed to its socket
/// (nil before the first), and its prior the one handed before that, which
/// changed values are predicted from (`SnapshotDelta`). The state delta from
/// each distinct (baseline, prior) is encoded once per tick and shared by
/// every player on that pair; a baseline that has left the ring gets a full
/// snapshot, a prior that has, a delta without prediction. A player whose
/// baseline is older than the last tick (its socket was full, or the game
/// sends less often than it ticks: `SendSchedule`) gets the events of every
/// tick after its baseline still in the ring, encoded once per (first tick,
/// audience) like the state. Only the header (the player's last processed
/// input) and private events differ per player.
///
/// When some player may not see everything (`GameVisibility`, or audiences
/// the rules set), each viewer's state is its view of the tick
/// (`TickViews`) and its baseline its view of the baseline's tick, which is
/// what it was sent: the delta is encoded once per distinct (baseline view,
/// view) and shared by every viewer with the same pair.
extension Match {
    /// The latest snapshot as a message for `audience` holding `baseline`
    /// and, before it, `prior`.
    ///
    /// The state is `viewer`'s view (by default: a player's own, the whole
    /// state for `.everyone`, and for `.spectator` what the game lets
    /// spectators see); `viewer: .player(p)` with `.spectator` follows p.
    ///
    /// The events are those of every tick after `eventsAfter` still in the
    /// ring, and always the latest tick's. By default `eventsAfter` is the
    /// baseline's tick; a first frame (no baseline) names the last tick
    /// whose events its link has (the tick it came at), since with a send
    /// rate ticks may pass before it.
    public func frame(baseline: Int?, prior: Int? = nil, eventsAfter: Int? = nil, audience: SnapshotMessage.Audience,
                      viewer: Viewer? = nil) -> [UInt8] {
        snapshotFrame(baseline: baseline, prior: prior, eventsAfter: eventsAfter, audience: audience, viewer: viewer)?.bytes ?? []
    }

    /// `frame(…)` in its parts, for a server that copies them straight into
    /// its outbound buffer; nil before the first tick.
    public func snapshotFrame(baseline: Int?, prior: Int? = nil, eventsAfter: Int? = nil, audience: SnapshotMessage.Audience,
                              viewer: Viewer? = nil) -> SnapshotFrame? {
        guard let current = snapshots.latest else { return nil }
        if frames.tick != current.tick { frames = FrameCache(tick: current.tick) }
        let memo = FrameCache.SharedKey(baseline: baseline ?? -1, prior: prior ?? -1, eventsAfter: eventsAfter ?? .min)
        let shared: FrameCache.Shared
        if let hit = frames.shared[memo] {
            shared = hit
        } else {
            shared = resolveState(current: current, baseline: baseline, prior: prior, eventsAfter: eventsAfter,
                                  viewer: viewer ?? defaultViewer(of: audience))
            if !shared.viewed { frames.shared[memo] = shared }
        }
        let first = shared.first
        var lastInput: UInt64 = 0
        var eventAudience = audience
        if case .player(let id) = audience {
            lastInput = UInt64(lastProcessedInput(of: id))
            // Players without private events share the spectators' event bytes.
            let hasPrivate = first == current.tick ? frames.privateRecipients(of: current).contains(id)
                : (first...current.tick).contains { snapshots.snapshot(tick: $0)?.events.contains { $0.to == id } ?? false }
            if !hasPrivate { eventAudience = .spectator }
        }
        let events: [UInt8]
        let eventsKey = FrameCache.EventsKey(first: first, audience: eventAudience)
        if let cached = frames.events[eventsKey] {
            events = cached
        } else {
            events = first == current.tick ? SnapshotMessage.events(of: current, for: eventAudience, coding: coding)
                : SnapshotMessage.events(of: (first...current.tick).compactMap { snapshots.snapshot(tick: $0) }, for: eventAudience, coding: coding)
            if eventAudience == .spectator || eventAudience == .everyone { frames.events[eventsKey] = events }
        }
        let header = SnapshotMessage.header(tick: current.tick, baselineTick: shared.baseline, priorTick: shared.prior, lastInput: lastInput)
        return SnapshotFrame(header: header, state: shared.state, events: events)
    }

    /// The state delta for a frame, and the ticks it names: the baseline
    /// and prior that are still usable, their views for `viewer`, and the
    /// first tick whose events the frame carries.
    private func resolveState(current: Snapshot, baseline: Int?, prior: Int?, eventsAfter: Int?, viewer: Viewer) -> FrameCache.Shared {
        let base = baseline.flatMap { snapshots.snapshot(tick: $0) }.flatMap { $0.tick < current.tick ? $0 : nil }
        let before = SnapshotMessage.usablePrior(prior.flatMap { snapshots.snapshot(tick: $0) }, baseline: base, tick: current.tick)
        var viewed = false
        func view(_ s: Snapshot) -> (id: Int, snapshot: Snapshot) {
            guard let views = views.views(tick: s.tick) else { return (id: -1, snapshot: s) }
            viewed = true
            return views.view(for: viewer)
        }
        let now = view(current)
        let then = base.map(view)
        let earlier = before.map(view)
        let key = FrameCache.Key(baseline: base?.tick ?? -1, baselineView: then?.id ?? -1,
                                 prior: before?.tick ?? -1, priorView: earlier?.id ?? -1, view: now.id)
        let state: [UInt8]
        if let cached = frames.states[key] {
            state = cached
        } else {
            state = SnapshotMessage.state(from: then?.snapshot, prior: earlier?.snapshot, to: now.snapshot, coding: coding)
            frames.states[key] = state
            frames.encodes += 1
        }
        // A player that skipped ticks gets the events it missed too: those
        // of every tick from `first` on.
        var first = current.tick
        if let after = eventsAfter ?? base?.tick, after < current.tick - 1 {
            first = max(after + 1, current.tick - snapshots.capacity + 1)
        }
        return FrameCache.Shared(state: state, baseline: base?.tick, prior: before?.tick, first: first, viewed: viewed)
    }

    /// Whose view `audience` gets unless told: a player its own; a
    /// spectator what the game lets spectators see (`game.spectators`);
    /// `.everyone`, a headless observer, the whole state.
    public func defaultViewer(of audience: SnapshotMessage.Audience) -> Viewer {
        switch audience {
        case .player(let id): .player(id)
        case .spectator: game.visibility.spectators == .public ? .public : .everything
        case .everyone: .everything
        }
    }

    /// Whether some player may not see all of the latest tick (the game
    /// declares visibility, or the rules set an audience).
    public var hidesSomething: Bool {
        snapshots.latest.map { views.views(tick: $0.tick) != nil } ?? false
    }

    /// Distinct views made for the latest tick so far (0 when everyone sees
    /// everything), for figures.
    public var viewsThisTick: Int {
        snapshots.latest.flatMap { views.views(tick: $0.tick)?.viewCount } ?? 0
    }

    /// The first message for a player (0: a spectator): the game's schemas,
    /// so the client decodes the snapshots that follow, starting with a full
    /// one of the next tick (which holds what `game.join` just did).
    public func welcome(playerID: Int, matchID: String, resumeToken: String = "") -> [UInt8] {
        Welcome(playerID: playerID, matchID: matchID, tickRate: game.tickRate, tick: tick + 1,
                resumeToken: resumeToken, schema: schema).encode()
    }

    /// State deltas encoded for the current tick so far (for tests and figures).
    public var stateEncodesThisTick: Int { frames.tick == snapshots.latest?.tick ? frames.encodes : 0 }
}

/// The encodes of one tick, shared between players.
struct FrameCache {
    var tick: Int
    /// One state encode: from a baseline tick (-1: none, a full snapshot)
    /// and a view of it, predicting from a prior tick (-1: none) and a view
    /// of it, to a view of this tick (-1: the whole state).
    struct Key: Hashable {
        let baseline: Int
        let baselineView: Int
        let prior: Int
        let priorView: Int
        let view: Int
    }

    /// The events from tick `first` to this one, for an audience.
    struct EventsKey: Hashable {
        let first: Int
        let audience: SnapshotMessage.Audience
    }

    /// A frame's inputs: what a player's link holds (`eventsAfter` .min: none given).
    struct SharedKey: Hashable {
        let baseline: Int
        let prior: Int
        let eventsAfter: Int
    }

    /// What every frame with the same `SharedKey` has in common. Kept only
    /// when no view was involved (`viewed` false): then it is the same for
    /// every viewer, and the per-player work is the header and events.
    struct Shared {
        let state: [UInt8]
        let baseline: Int?
        let prior: Int?
        let first: Int
        let viewed: Bool
    }

    var states: [Key: [UInt8]] = [:]
    var shared: [SharedKey: Shared] = [:]
    var events: [EventsKey: [UInt8]] = [:]
    var encodes = 0
    /// The players this tick has private events for, found once.
    private var recipients: Set<Int>?

    /// Players `snapshot` (this tick's) has a private event for.
    mutating func privateRecipients(of snapshot: Snapshot) -> Set<Int> {
        if let recipients { return recipients }
        let found = Set(snapshot.events.lazy.map(\.to).filter { $0 != 0 })
        recipients = found
        return found
    }

    init(tick: Int) { self.tick = tick }
}
