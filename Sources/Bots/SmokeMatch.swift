import Engine
import Lua

/// The match `tickwire check` plays: every seat taken (bots of `bot.lua`,
/// or random valid inputs without one), a few hundred ticks, each declared
/// client event sent now and then, the rules reloaded in place halfway when
/// they define `game.reload`, every player removed at the end. Every
/// callback the game defines runs at least once, so an error in `join`,
/// `tick`, `event`, `reload` or `leave` is found before a player finds it.
public struct SmokeMatch {
    public let game: GameDefinition
    public let options: MatchOptions
    public let ticks: Int

    /// What the smoke match found.
    public struct Report: Sendable {
        public var ticks = 0
        public var seated = 0
        /// Joins `game.join` refused (not failures: a game may refuse).
        public var refused: [String] = []
        public var scriptFailures: [ScriptFailure] = []
        public var failureCount = 0
        public var botErrors = 0
        public var firstBotError: String?
        /// The bots' warnings (undeclared input or client event fields), each once.
        public var botWarnings: [String] = []
        public var clientEventsSent = 0
        /// Why the match could not start, if it could not.
        public var startFailure: String?
        /// Why the rules did not reload into the match (`game.reload`), if they did not.
        public var reloadFailure: String?
        public var passed: Bool { startFailure == nil && reloadFailure == nil && failureCount == 0 && botErrors == 0 }
    }

    public init(game: GameDefinition, options: MatchOptions, ticks: Int = 300) {
        self.game = game
        self.options = options
        self.ticks = max(1, ticks)
    }

    public func play() -> Report {
        var report = Report()
        let session: MatchSession
        let brain: BotBrain?
        do {
            session = try MatchSession(game: game, options: options)
            brain = game.botSource == nil ? nil
                : try BotBrain(game: game, seed: SplitMix64.derive(options.seed, 1), limits: options.limits, log: options.log)
        } catch {
            report.startFailure = "\(error)"
            return report
        }
        let match = session.match
        var seated: [Int] = []
        for p in 1...game.maxPlayers {
            let name = "smoke\(p)"
            switch session.apply(.join(name: name, account: nil)) {
            case .joined(let id):
                seated.append(id)
                brain?.add(playerID: id, name: name)
            case .refused(let reason): report.refused.append("\(name): \(reason)")
            case .applied, .ignored: break
            }
        }
        report.seated = seated.count
        var rng = SplitMix64(seed: UInt64(bitPattern: options.seed))
        let mirror = ClientMirror(schema: game.schema)
        while match.tick < ticks, session.isRunning {
            if let brain {
                if let state = try? mirror.apply(match.frame(baseline: mirror.state?.tick, prior: mirror.previous?.tick, audience: .everyone)) {
                    brain.observe(state)
                }
            }
            for id in seated {
                let turn = brain.map { $0.think(playerID: id) }
                    ?? BotTurn(input: game.schema.input.map { $0.randomStoredValue(using: &rng) })
                if let values = turn.input { session.apply(.input(player: id, sequence: UInt32(match.tick + 1), values: values)) }
                for event in turn.clientEvents {
                    session.apply(.clientEvent(player: id, event: event.event, values: event.values, strings: event.strings))
                    report.clientEventsSent += 1
                }
            }
            if match.tick % 50 == 10, let id = seated.randomElement(using: &rng) {
                for (index, event) in game.schema.clientEvents.enumerated() {
                    let values = event.fields.map { $0.randomStoredValue(using: &rng) }
                    let strings = StringTable([Array("smoke".utf8)])
                    session.apply(.clientEvent(player: id, event: index, values: values, strings: strings))
                    report.clientEventsSent += 1
                }
            }
            session.step()
            if match.tick == ticks / 2, game.callbacks.contains("reload") {
                do { try session.reloadInPlace(on: game) } catch { report.reloadFailure = "\(error)" }
            }
        }
        for id in seated { session.apply(.leave(player: id)) }
        session.end()
        report.ticks = match.tick
        report.scriptFailures = match.failures
        report.failureCount = match.failureCount
        report.botErrors = brain?.errorCount ?? 0
        report.firstBotError = brain?.firstError?.description
        report.botWarnings = brain?.warnings ?? []
        return report
    }
}
