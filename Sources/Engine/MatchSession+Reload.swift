import Synchronization

/// Hot reload by replay: a match moves to new rules by living its whole
/// history again on them.
///
/// The rebuilt match is the one the new rules would have made from the same
/// seed, params and commands (joins, inputs, events, leaves at the same
/// ticks), so it goes on in the state it would have reached had the new
/// rules always been in force: no migration code, and determinism is kept
/// (a recording of the rebuilt session replays). The old session is left
/// as it was when the rebuild fails, so a reload never breaks a running
/// match.
extension MatchSession {
    /// Why a match keeps its old rules.
    public enum ReloadError: Error, CustomStringConvertible, Sendable {
        /// The session does not keep its history (or dropped it: too long,
        /// or the match was reloaded in place).
        case historyNotKept
        /// The new rules did not load into the running match (a reload in place).
        case notLoaded(GameError)
        /// The new rules failed to start the match (`game.init`).
        case startFailed(GameError)
        /// A script error ended the rebuilt match during the replay.
        case failed(ScriptFailure)
        /// The replay did not reach the present before the deadline.
        case tooLong(replayed: Int, of: Int)

        public var description: String {
            switch self {
            case .historyNotKept:
                "the match's history is not kept (it passed \(CommandLog.maxCommands) commands, "
                    + "or the match was reloaded in place by game.reload)"
            case .notLoaded(let error):
                "the new rules do not load into the running match: \(error)"
            case .startFailed(let error):
                "the new rules fail to start the match: \(error)"
            case .failed(let failure):
                "on this match's history the new rules fail: \(failure)"
            case .tooLong(let replayed, let total):
                "replaying the match's \(total) ticks on the new rules took too long (\(replayed) done)"
            }
        }
    }

    /// A new session on `game`'s rules that has applied every command of
    /// this one's history at the tick it was applied here, and stepped as
    /// many ticks: its match is at this one's tick, with the commands given
    /// since the last tick applied. `log` receives the whole rebuilt
    /// history, then what follows. Lines the replayed ticks `print` are not
    /// logged again; script errors are. Gives up past `deadline` (checked
    /// between ticks; one call is bounded by the Lua time limit).
    /// `replayedTick` is called after each replayed tick (a supervisor
    /// watches progress by it).
    public func rebuilt(on game: GameDefinition, log: (any MatchLog)?, deadline: ContinuousClock.Instant,
                        replayedTick: () -> Void = {}) throws(ReloadError) -> MatchSession {
        guard let history else { throw .historyNotKept }
        let replaying = ReplayingFlag()
        let next: MatchSession
        do {
            next = try MatchSession(game: game, options: options, log: log, checkpointEvery: checkpointEvery,
                                    keepsHistory: true, replaying: replaying)
        } catch {
            throw .startFailed(error)
        }
        let ticks = history.commands
        for (t, commands) in ticks.enumerated() {
            for command in commands { next.apply(command) }
            if case .failed(let failure) = next.match.status {
                next.abandonRebuild()
                throw .failed(failure)
            }
            guard t < ticks.count - 1 else { break }
            guard ContinuousClock.now < deadline else {
                next.abandonRebuild()
                throw .tooLong(replayed: t, of: ticks.count - 1)
            }
            next.step()
            replayedTick()
        }
        if case .failed(let failure) = next.match.status {
            next.abandonRebuild()
            throw .failed(failure)
        }
        replaying.end()
        return next
    }

    /// Moves the match to `game`'s rules in its own Lua state
    /// (`Match.reloadInPlace`), for rules that define `game.reload`. The
    /// log ends here (a recording cannot replay past a reload in place) and
    /// the history is dropped, so a later rebuild by replay is refused.
    public func reloadInPlace(on game: GameDefinition) throws(ReloadError) {
        do {
            try match.reloadInPlace(game)
        } catch {
            throw .notLoaded(error)
        }
        history = nil
        if !isEnded {
            closeLog(outcome: "the rules were reloaded in place at tick \(match.tick) (game.reload): not recorded further")
            reopenForPlay()
        }
    }

    /// Closes this session's log because its match goes on in `successor`,
    /// rebuilt on new rules (which logs from there).
    public func endForReload() {
        guard !isEnded else { return }
        closeLog(outcome: "the rules were reloaded at tick \(match.tick): the match goes on in a new recording")
    }

    /// Closes the log of a rebuild that was given up.
    func abandonRebuild() {
        closeLog(outcome: "a reload gave up this rebuild at tick \(match.tick)")
    }
}

/// Set while a rebuild replays a match's history: the match's `print`
/// lines of those ticks are not logged a second time.
final class ReplayingFlag: Sendable {
    private let flag = Atomic<Bool>(true)
    var isOn: Bool { flag.load(ordering: .relaxed) }
    func end() { flag.store(false, ordering: .relaxed) }
}
