import Cluster
import Engine
import NIOCore
import Logging

extension MatchHost {
    /// Starts, on `thread`, a match a dead node ran, from its log (`MatchRecovery`:
    /// replayed to its last stored tick and checked against every hash it
    /// holds). The match goes on with the options it had (the server's,
    /// with the recorded seed and params), logs on where its log ended, and
    /// every player's seat waits for the grace period for its resume token.
    static func adopt(_ adoption: ClusterNode.Adoption, game: GameDefinition, options serverOptions: MatchOptions, logs: ClusterLogBook,
                      settings: Settings, directory: MatchDirectory, metrics: ServerMetrics, logger: Logger,
                      on thread: MatchThread) -> EventLoopFuture<MatchHost> {
        thread.eventLoop.submit {
            let id = adoption.matchID
            let logger = logger.forMatch(id, game: adoption.game)
            let matchLogger = logger
            let started = ContinuousClock.now
            let recovery = try MatchRecovery.recover(log: adoption.log, game: game, options: { header in
                var options = serverOptions
                options.seed = header.seed
                options.params = header.replayOptions.params
                options.logLine = matchLogger.matchLine
                return options
            }, deadline: started + .seconds(30))
            let session = recovery.session
            var settings = settings
            if let timeout = game.emptyTimeout { settings.emptyTimeout = timeout.duration }
            let sink = ClusterLogSink(match: id, book: logs, next: adoption.nextChunk)
            let recorder = MatchRecorder(continuing: recovery.continuation, game: game, options: session.options,
                                         settings: MatchRecorder.Settings(matchID: id, origin: "cluster", flushEveryTicks: game.tickRate,
                                                                          checkpointEvery: session.checkpointEvery),
                                         sink: sink) { [matchLogger] reason in
                matchLogger.warning("match not logged to the cluster further", metadata: ["reason": "\(reason)"])
            }
            session.continueLog(with: recorder)
            let host = MatchHost(id: id, game: game, gameKey: adoption.game, session: session, settings: settings, directory: directory,
                                 metrics: metrics, logger: logger, thread: thread)
            let names = Dictionary(session.match.players.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
            let tokens = Dictionary(adoption.seats.map { ($0.player, $0) }, uniquingKeysWith: { first, _ in first })
            // A player whose token the log's node had not yet published gets
            // one nobody knows: their seat is freed when the grace ends.
            let restored = names.keys.sorted().map { player in
                MatchSeating.RestoredSeat(player: player, name: names[player] ?? "", resumeToken: tokens[player]?.token ?? ResumeToken.make(),
                                          account: tokens[player]?.account)
            }
            let actions = host.seating.restore(restored, now: host.seatingNow())
            // Their joins are in the log already: their tokens go out at once.
            host.publishSeats(newSince: .min)
            host.perform(actions)
            host.publish()
            host.scheduleNextTick()
            let replayed = ContinuousClock.now - started
            logger.warning("match taken over from a dead node", metadata: [
                "from": "\(adoption.from)", "tick": "\(session.tick)", "hash": "\(StateHash.hex(session.match.stateHash.value))",
                "checkpoints": "\(recovery.checkpointsChecked)", "verified_tick": "\(recovery.verifiedTick.map(String.init) ?? "none")",
                "players": "\(restored.count)", "replayed_in": "\(replayed)",
            ])
            return host
        }
    }
}
