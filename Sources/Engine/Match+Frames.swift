/// Snapshot messages for players: "the frame for a player whose baseline is B".
///
/// A player's baseline is the tick of the last snapshot handed to its socket
/// (nil before the first). The state delta from each distinct baseline is
/// encoded once per tick and shared by every player on that baseline; a
/// baseline that has left the ring gets a full snapshot. A player whose
/// baseline is older than the last tick gets the events of every tick after
/// its baseline still in the ring. Only the header
/// (the player's last processed input) and the events differ per player.
///
/// Per-player visibility will filter the entities a player may see before
/// encoding; the cache key then becomes (baseline, view).
extension Match {
    /// The latest snapshot as a message for `audience` holding `baseline`.
    public func frame(baseline: Int?, audience: SnapshotMessage.Audience) -> [UInt8] {
        guard let current = snapshots.latest else { return [] }
        if frames.tick != current.tick { frames = FrameCache(tick: current.tick) }
        let base = baseline.flatMap { snapshots.snapshot(tick: $0) }.flatMap { $0.tick < current.tick ? $0 : nil }
        let key = base?.tick ?? -1
        let state: [UInt8]
        if let cached = frames.states[key] {
            state = cached
        } else {
            state = SnapshotMessage.state(from: base, to: current, coding: coding)
            frames.states[key] = state
            frames.encodes += 1
        }
        var lastInput: UInt64 = 0
        var eventAudience = audience
        if case .player(let id) = audience {
            lastInput = UInt64(lastProcessedInput(of: id))
            // Players without private events share the spectators' event bytes.
            if !current.events.contains(where: { $0.to == id }) { eventAudience = .spectator }
        }
        let events: [UInt8]
        if let base, current.tick - base.tick > 1 {
            // A player that skipped ticks gets the events it missed too.
            let missed = (base.tick + 1...current.tick).compactMap { snapshots.snapshot(tick: $0) }
            events = SnapshotMessage.events(of: missed, for: audience, coding: coding)
        } else if let cached = frames.events[eventAudience] {
            events = cached
        } else {
            events = SnapshotMessage.events(of: current, for: eventAudience, coding: coding)
            if eventAudience == .spectator || eventAudience == .everyone { frames.events[eventAudience] = events }
        }
        return SnapshotMessage.header(tick: current.tick, baselineTick: base?.tick, lastInput: lastInput) + state + events
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
    /// State delta by baseline tick (-1: full).
    var states: [Int: [UInt8]] = [:]
    var events: [SnapshotMessage.Audience: [UInt8]] = [:]
    var encodes = 0

    init(tick: Int) { self.tick = tick }
}
