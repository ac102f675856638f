import Cluster
import Engine
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// This server's place in a cluster (`serve --cluster`): the node once it
/// has joined, what it publishes at each heartbeat (its matches, players,
/// CPU), and `GET /matches` over the whole cluster. Without `--cluster` it
/// holds nothing and the server is a single process, as by default.
final class ServerCluster: Sendable {
    private let box = NIOLockedValueBox<ClusterNode?>(nil)
    private let failuresCounted = NIOLockedValueBox(0)
    private let cpu = NIOLockedValueBox<(used: Double, at: ContinuousClock.Instant)?>(nil)

    /// Every match's log on its way to the database (made before the node
    /// joins: matches may start while it does).
    let logs = ClusterLogBook()

    var node: ClusterNode? { box.withLockedValue { $0 } }

    /// Joins the cluster `settings` names, publishing `directory`'s matches
    /// and their seats, and taking over matches of dead nodes.
    func join(_ settings: ClusterNode.Settings, within limit: Duration, directory: MatchDirectory, metrics: ServerMetrics,
              logger: Logger) async throws {
        let events = ClusterNode.Events(
            report: { [self] in
                record(metrics)
                return report(directory)
            },
            lost: { ids in directory.movedAway(ids) },
            adopt: { [self] adoption in
                guard let joined = self.node else { return }
                directory.adopt(adoption, node: joined)
            },
            flushLogs: { await Self.flushLogs(directory) })
        let node = try await ClusterNode.join(settings, within: limit, logs: logs, logger: logger, events: events)
        box.withLockedValue { $0 = node }
    }

    /// The log every new match of a cluster node records into: its chunks
    /// go to the database at each heartbeat (with a state hash every 30
    /// ticks), and to `recording`'s log as well, when the server
    /// also records matches to files.
    func matchLog(alsoTo recording: (@Sendable (String, GameDefinition, MatchOptions) -> (any MatchLog)?)?, logger: Logger)
        -> @Sendable (String, GameDefinition, MatchOptions) -> (any MatchLog)? {
        { [logs] id, game, options in
            let settings = MatchRecorder.Settings(matchID: id, origin: "cluster", flushEveryTicks: game.tickRate)
            let cluster = MatchRecorder(game: game, options: options, settings: settings, sink: ClusterLogSink(match: id, book: logs)) { reason in
                logger.warning("match not logged to the cluster further", metadata: ["match": "\(id)", "reason": "\(reason)"])
            }
            guard let file = recording?(id, game, options) else { return cluster }
            return TeeMatchLog(file, cluster)
        }
    }

    /// Every match's log flushed up to now, waiting at most `limit`: a match
    /// busy for longer (a slow tick, a stuck call) is stored from its own
    /// flush, a second of play at most later.
    static func flushLogs(_ directory: MatchDirectory, limit: Duration = .milliseconds(250)) async {
        let hosts = directory.runningHosts().filter { $0.playback == nil }
        guard !hosts.isEmpty else { return }
        let loop = directory.group.next()
        let all = EventLoopFuture.andAllComplete(hosts.map { $0.flushLog(answeringOn: loop) }, on: loop)
        _ = try? await directory.within(limit, on: loop, all) { MatchDirectory.NotAnswering() }.get()
    }

    /// Leaves the cluster, removing this node's matches from it.
    func leave() async { await node?.leave() }

    /// Stops this node's matches where they are and hands them to the other
    /// nodes (`serve --on-stop hand-over`, or a drain that ran out): each is
    /// frozen with its log flushed, the last heartbeat stores them, the node
    /// marks itself dead, and only then are their players told to resume
    /// elsewhere.
    func handOver(_ directory: MatchDirectory) async {
        guard let node else { return }
        let hosts = directory.runningHosts().filter { $0.playback == nil }
        let loop = directory.group.next()
        for host in hosts { try? await host.freezeForHandOver(answeringOn: loop).get() }
        await node.handOver()
        for host in hosts { host.closeAfterHandOver() }
    }

    /// Every running match: with no cluster this server's; in a cluster this
    /// server's as they are now and the other live nodes' as of the last
    /// heartbeat, each with the URL of its node; nil when the cluster's
    /// listing is stale (the database does not answer).
    func summaries(_ directory: MatchDirectory) -> [MatchSummary]? {
        let local = directory.summaries()
        guard let node else { return local }
        guard let listing = node.listing() else { return nil }
        // This node's matches as they are now, with the labels the database holds.
        let labels = Dictionary(listing.map { ($0.match.id, $0.labels) }, uniquingKeysWith: { first, _ in first })
        var all = local.map { summary in
            var summary = summary
            summary.node = node.settings.advertise
            if let labels = labels[summary.id], !labels.isEmpty { summary.labels = labels }
            return summary
        }
        all += listing.filter { $0.nodeID != node.id }.map(MatchSummary.init)
        return all.sorted { ($0.ageSeconds, $0.id) > ($1.ageSeconds, $1.id) }
    }

    /// A seat of `game` anywhere in the cluster (`POST /matchmake`), in a
    /// match placed with at least `labels`.
    func matchmake(game: String, labels: [String: String] = [:], directory: MatchDirectory) async throws -> ClusterNode.Reservation {
        guard let node else { throw ClusterNode.MatchmakingError(description: "this server is not a node of a cluster (serve --cluster); connect to /play?game=\(game)") }
        guard let definition = directory.games[game] else {
            throw ClusterNode.MatchmakingError(description: "no game named \"\(game)\" (this server has: \(directory.games.keys.sorted().joined(separator: ", ")))")
        }
        let seat = try await node.matchmake(game: game, labels: labels, capacity: definition.maxPlayers,
                                            newMatchID: ResumeToken.random(characters: 10))
        directory.metrics.clusterSeatsReserved.increment()
        return seat
    }

    /// The cluster figures of `/metrics`, as of the last heartbeat.
    private func record(_ metrics: ServerMetrics) {
        guard let node else { return }
        let status = node.status
        metrics.clusterReachable.record(status.reachable ? 1 : 0)
        metrics.clusterNodes.record(status.nodes)
        metrics.clusterMatches.record(status.matches)
        let failed = node.heartbeats.failed
        let counted = failuresCounted.withLockedValue { counted in
            defer { counted = failed }
            return counted
        }
        if failed > counted { metrics.clusterHeartbeatsFailed.increment(by: Int64(failed - counted)) }
    }

    private func report(_ directory: MatchDirectory) -> ClusterNode.Report {
        let hosts = directory.runningHosts().filter { $0.playback == nil }
        var matches: [ClusterNode.Published] = []
        var seats: [ClusterNode.Seat] = []
        for host in hosts {
            let summary = host.summary
            guard summary.running else { continue }
            matches.append(ClusterNode.Published(id: summary.id, game: summary.game, players: summary.players, spectators: summary.spectators,
                                                 capacity: summary.capacity, tick: summary.tick, locked: summary.locked ?? false,
                                                 age: summary.ageSeconds))
            // A seat's token goes out once the log that holds its join has
            // (a heartbeat stores the log up to its own start, or, for a
            // match too busy to answer, up to its last flush, a second of
            // play at most before): two seconds of play after the join. A match
            // handed over has flushed its whole log for this heartbeat.
            // (`handedOver` was set before `freezeForHandOver`'s future, awaited first.)
            let covered = host.handedOver ? Int.max : summary.tick - 2 * host.game.tickRate
            for seat in host.resumableSeats.withLockedValue({ $0 }) where !seat.token.isEmpty && seat.sinceTick <= covered {
                seats.append(ClusterNode.Seat(match: summary.id, player: seat.player, token: seat.token, account: seat.account))
            }
        }
        return ClusterNode.Report(matches: matches, players: matches.reduce(0) { $0 + $1.players },
                                  cpu: cpuSinceLastReport(), draining: directory.isStopping, games: directory.games.keys.sorted(),
                                  seats: seats)
    }

    /// Where the seat of a resume token is in the cluster (`POST /matchmake`).
    func locate(resumeToken token: String) async throws -> ClusterNode.ResumeLocation {
        guard let node else { return .unknown }
        return try await node.locate(resumeToken: token)
    }

    /// Cores' worth of CPU this process used since the previous report.
    private func cpuSinceLastReport() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &spec)
        let used = Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
        let now = ContinuousClock.now
        return cpu.withLockedValue { last in
            defer { last = (used, now) }
            guard let last else { return 0 }
            let elapsed = now - last.at
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            return seconds > 0 ? max(0, used - last.used) / seconds : 0
        }
    }
}
