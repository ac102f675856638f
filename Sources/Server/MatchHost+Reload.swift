import Engine
import Logging
import NIOCore

/// Hot reload on the network: a running match moves to its game's new
/// rules without dropping a client.
///
/// The session is rebuilt by replaying its own history on the new rules
/// (`MatchSession.rebuilt`), on the match's thread, between two ticks; rules
/// that define `game.reload` are loaded into the running match instead
/// (`MatchSession.reloadInPlace`). If
/// that fails (the new rules fail on this match's history, or the replay
/// takes longer than `Settings.reloadLimit`), the match keeps its old rules
/// and the reason is logged. The supervisor watches each replayed tick as
/// it watches a live one (past the hard limit, the match is abandoned). If it succeeds, every client's next frame is a
/// full snapshot, preceded by a new `welcome` when the schemas or the tick
/// rate changed; a player the new rules did not seat is closed.
extension MatchHost {
    /// The rules a match runs, as connections read them.
    struct Rules: Sendable {
        let game: GameDefinition
        /// 0 at the start, one more per reload: inputs decoded by an older
        /// generation's schema are dropped (`applyInbox`).
        let generation: Int
        /// When a reload last changed the schemas, on the host's clock.
        let schemaChangedAt: NIODeadline?

        /// How long after a schema change a message that does not decode is
        /// dropped instead of closing its connection: the client may have
        /// sent it before it read the new welcome.
        static let schemaChangeTolerance: TimeAmount = .seconds(5)

        func tolerates(at now: NIODeadline) -> Bool {
            guard let changed = schemaChangedAt else { return false }
            return now - changed < Self.schemaChangeTolerance
        }
    }

    /// What a reload did to one match.
    enum ReloadOutcome: Sendable, Equatable {
        case reloaded(schemaChanged: Bool)
        /// The match keeps its old rules, for `reason`.
        case kept(reason: String)
        /// A replay, or a match that is over: nothing to reload.
        case notRunning
    }

    /// Moves the match to `newGame`'s rules. On the match's loop.
    func reload(to newGame: GameDefinition) -> ReloadOutcome {
        eventLoop.preconditionInEventLoop()
        guard playback == nil, !ended, !isAbandoned, session.isRunning else { return .notRunning }
        let started = NIODeadline.now()
        let old = session
        let oldGame = game
        // What arrived since the last tick belongs to the old rules' history.
        applyInbox()
        let next: MatchSession
        do {
            if newGame.callbacks.contains("reload") {
                try working(.reload) { try old.reloadInPlace(on: newGame) }
                next = old
            } else {
                let log = settings.makeMatchLog?(id, newGame, old.options)
                let deadline = ContinuousClock.now + settings.reloadLimit
                next = try working(.reload) {
                    try old.rebuilt(on: newGame, log: log, deadline: deadline) { busySince.store(NIODeadline.now().uptimeNanoseconds, ordering: .releasing) }
                }
            }
        } catch {
            guard !isAbandoned else { return .notRunning }
            logger.error("reload not applied to this match: it keeps the previous rules", metadata: ["reason": "\(error)"])
            return .kept(reason: "\(error)")
        }
        guard !isAbandoned else { return .notRunning }
        let schemaChanged = newGame.schema != oldGame.schema || newGame.tickRate != oldGame.tickRate
        if next !== old {
            old.endForReload()
            sessionBox.withLockedValue { $0 = next }
        }
        let now = settings.clock.now()
        rulesBox.withLockedValue { rules in
            rules = Rules(game: newGame, generation: rules.generation + 1,
                          schemaChangedAt: schemaChanged ? now : rules.schemaChangedAt)
        }
        resetCounters()
        if newGame.tickRate != oldGame.tickRate {
            nextTick?.cancel()
            schedule = TickSchedule(tickRate: newGame.tickRate, start: elapsed(NIODeadline.now()))
            scheduleNextTick()
        }
        perform(seating.rulesReloaded(maxPlayers: newGame.maxPlayers, schemaChanged: schemaChanged,
                                      spectatorsMayFollow: newGame.visibility.spectators == .everything,
                                      sendSchedule: newGame.sendSchedule, isSeated: next.match.isSeated))
        publish()
        let took = Double((NIODeadline.now() - started).nanoseconds) / 1e6
        logger.notice("rules reloaded", metadata: ["tick": "\(next.tick)", "schema": "\(schemaChanged ? "changed" : "same")",
                                                   "how": "\(next === old ? "in place (game.reload)" : "by replay")",
                                                   "took_ms": "\(Int(took.rounded()))"])
        return .reloaded(schemaChanged: schemaChanged)
    }
}
