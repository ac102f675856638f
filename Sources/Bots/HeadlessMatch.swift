import Engine
import Lua

/// What became of one headless match.
public struct HeadlessMatchReport: Sendable {
    public enum Outcome: Sendable {
        /// `game.result` ended the match with this value.
        case finished(LuaValue)
        /// The tick budget ran out before `game.result` ended it.
        case unfinished
        /// The game failed: it could not start, or its failure policy ended it.
        case failed(String)
    }

    public let index: Int
    public let seed: Int64
    public let ticks: Int
    public let outcome: Outcome
    public let stateHash: StateHash
    public let scriptFailures: Int
    /// The first script failure, with its tick, callback and file:line.
    public let firstScriptFailure: String?
    public let botErrors: Int
    public let firstBotError: String?
    /// The bots' warnings (undeclared input or client event fields), each once.
    public let botWarnings: [String]
    public let droppedInputs: Int
    public let overruns: Int
    /// Wall time the match took.
    public let elapsed: Duration
    /// The replay file the match was recorded into, if it was kept.
    public internal(set) var recording: String?

    public var failed: Bool {
        if case .failed = outcome { return true }
        return false
    }
}

/// Plays one match with Lua bots from start to end on a given clock.
public struct HeadlessMatch {
    public let game: GameDefinition
    public let options: MatchOptions
    public let players: Int
    public let maxTicks: Int

    public init(game: GameDefinition, options: MatchOptions, players: Int, maxTicks: Int) {
        self.game = game
        self.options = options
        self.players = players
        self.maxTicks = maxTicks
    }

    /// Plays the match through its `MatchSession` (so `log`, if any, records
    /// it). `onTick` is called after every tick with the tick number.
    public func play(index: Int, clock: inout some TickClock, log: (any MatchLog)? = nil,
                     onTick: (Int) -> Void = { _ in }) -> HeadlessMatchReport {
        let started = ContinuousClock.now
        func report(_ outcome: HeadlessMatchReport.Outcome, match: Match?, brain: BotBrain?, overruns: Int = 0) -> HeadlessMatchReport {
            HeadlessMatchReport(index: index, seed: options.seed, ticks: match?.tick ?? 0, outcome: outcome,
                                stateHash: match?.stateHash ?? StateHash(), scriptFailures: match?.failureCount ?? 0,
                                firstScriptFailure: match?.failures.first?.description,
                                botErrors: brain?.errorCount ?? 0, firstBotError: brain?.firstError?.description,
                                botWarnings: brain?.warnings ?? [],
                                droppedInputs: match?.droppedInputs ?? 0, overruns: overruns,
                                elapsed: ContinuousClock.now - started)
        }
        let session: MatchSession
        let brain: BotBrain
        do {
            session = try MatchSession(game: game, options: options, log: log)
            brain = try BotBrain(game: game, seed: SplitMix64.derive(options.seed, 1), limits: options.limits, log: options.log)
        } catch {
            return report(.failed("\(error)"), match: nil, brain: nil)
        }
        let match = session.match
        defer { session.end() }
        var seated: [Int] = []
        for p in stride(from: 1, through: players, by: 1) {
            let name = "bot\(p)"
            switch session.apply(.join(name: name, account: nil)) {
            case .joined(let id):
                seated.append(id)
                brain.add(playerID: id, name: name)
            case .refused(let reason):
                options.log("\(name) was refused: \(reason)")
            case .applied, .ignored:
                options.log("\(name) was refused: the match is over")
            }
        }
        var schedule = TickSchedule(tickRate: game.tickRate, start: clock.now())
        let sending = game.sendSchedule
        // The bots see the match as a network client does: the state goes
        // through the wire format (a delta from the last one) and back, at the
        // game's send rate (`game.send_rate`), and each bot answers every
        // frame with one input. When the match hides something, each bot sees
        // its own player's view.
        let mirror = ClientMirror(schema: game.schema)
        var mirrors: [Int: ClientMirror] = [:]
        while match.tick < maxTicks, match.status.isRunning {
            if sending.sends(tick: match.tick) {
                let ownViews = match.hidesSomething
                do {
                    if !ownViews {
                        let frame = match.frame(baseline: mirror.state?.tick, prior: mirror.previous?.tick, audience: .everyone)
                        brain.observe(try mirror.apply(frame))
                    }
                } catch {
                    return report(.failed("the bots could not decode tick \(match.tick): \(error)"), match: match, brain: brain)
                }
                for id in seated {
                    if ownViews {
                        let own = mirrors[id] ?? ClientMirror(schema: game.schema)
                        mirrors[id] = own
                        do {
                            brain.observe(try own.apply(match.frame(baseline: own.state?.tick, prior: own.previous?.tick, audience: .player(id))))
                        } catch {
                            return report(.failed("bot \(id) could not decode tick \(match.tick): \(error)"), match: match, brain: brain)
                        }
                    }
                    let turn = brain.think(playerID: id)
                    if let input = turn.input {
                        session.apply(.input(player: id, sequence: UInt32(truncatingIfNeeded: match.tick + 1), values: input))
                    }
                    for event in turn.clientEvents {
                        session.apply(.clientEvent(player: id, event: event.event, values: event.values, strings: event.strings))
                    }
                }
            }
            schedule.waitForNextTick(on: &clock)
            session.step()
            onTick(match.tick)
        }
        let outcome: HeadlessMatchReport.Outcome
        switch match.status {
        case .running, .stopped: outcome = .unfinished
        case .finished(let result): outcome = .finished(result)
        case .failed(let failure): outcome = .failed(failure.description)
        }
        return report(outcome, match: match, brain: brain, overruns: schedule.overruns)
    }
}
