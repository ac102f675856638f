import Foundation
import Logging
import NIOConcurrencyHelpers
import PostgresNIO

/// This server as a member of a cluster: its row in `tickwire_nodes`, kept
/// alive by a heartbeat that also publishes its load and its matches, and
/// the cluster's matches as of the last heartbeat, for `GET /matches`.
///
/// The database is the only thing nodes share: no node talks to another.
/// A node counts as alive while its heartbeat is younger than
/// `nodeTimeout`; the listing leaves out matches of nodes that are not. When
/// PostgreSQL cannot be reached the node goes on running its matches and
/// keeps trying every heartbeat; `listing()` answers nil once what it holds
/// is older than `nodeTimeout`, so nobody is shown a cluster that may be gone.
public final class ClusterNode: Sendable {
    public struct Settings: Sendable {
        public var database: ClusterDatabaseURL
        /// The URL players reach this node at (`ws://host:port` or `wss://…`).
        public var advertise: String
        public var heartbeat: Duration = .seconds(1)
        /// A node whose heartbeat is older than this is taken for dead, and
        /// its matches are taken over by live nodes.
        public var nodeTimeout: Duration = .seconds(3)
        /// Whether this node takes over matches of dead nodes.
        public var adopts = true
        /// The most matches one heartbeat takes over (the rest are left to
        /// other nodes, or the next heartbeat).
        public var adoptionsPerBeat = 8

        public init(database: ClusterDatabaseURL, advertise: String) {
            self.database = database
            self.advertise = advertise
        }
    }

    /// What a node publishes at each heartbeat.
    public struct Report: Sendable {
        public var matches: [Published]
        public var players: Int
        /// Cores' worth of CPU the process used since the last report.
        public var cpu: Double
        public var draining: Bool
        /// The games this node can start (matchmaking places new matches
        /// only on a node that has the game).
        public var games: [String]
        /// The seats of its matches that a resume token can take back.
        public var seats: [Seat]

        public init(matches: [Published], players: Int, cpu: Double, draining: Bool, games: [String], seats: [Seat] = []) {
            self.matches = matches
            self.players = players
            self.cpu = cpu
            self.draining = draining
            self.games = games
            self.seats = seats
        }
    }

    /// A player's seat in a match, as published for resuming elsewhere.
    public struct Seat: Sendable, Codable, Equatable {
        public let match: String
        public let player: Int
        public let token: String
        /// The JWT subject, when auth is on.
        public let account: String?

        public init(match: String, player: Int, token: String, account: String?) {
            self.match = match
            self.player = player
            self.token = token
            self.account = account
        }
    }

    /// What the node asks of the server it serves.
    public struct Events: Sendable {
        /// What to publish at each heartbeat.
        public var report: @Sendable () -> Report
        /// Matches running here that another node has taken over (this node
        /// was taken for dead): they must end here.
        public var lost: @Sendable ([String]) -> Void
        /// A match of a dead node this node now owns: start it from its log,
        /// then call `adopted(_:)`, or `giveUp(_:)` when it cannot be.
        public var adopt: @Sendable (Adoption) -> Void
        /// Before each heartbeat: hand every match's log recorded so far to
        /// the log book (briefly: a match that does not answer waits for the
        /// next heartbeat), so a heartbeat stores play up to its own start.
        public var flushLogs: @Sendable () async -> Void

        public init(report: @escaping @Sendable () -> Report, lost: @escaping @Sendable ([String]) -> Void = { _ in },
                    adopt: @escaping @Sendable (Adoption) -> Void = { _ in },
                    flushLogs: @escaping @Sendable () async -> Void = {}) {
            self.report = report
            self.lost = lost
            self.flushLogs = flushLogs
            self.adopt = adopt
        }
    }

    /// One running match, as published.
    public struct Published: Sendable, Codable, Equatable {
        public let id: String
        public let game: String
        public let players: Int
        public let spectators: Int
        public let capacity: Int
        public let tick: Int
        public let locked: Bool
        public let age: Double

        public init(id: String, game: String, players: Int, spectators: Int, capacity: Int, tick: Int, locked: Bool, age: Double) {
            self.id = id
            self.game = game
            self.players = players
            self.spectators = spectators
            self.capacity = capacity
            self.tick = tick
            self.locked = locked
            self.age = age
        }
    }

    /// Why the node could not join: said for the operator.
    public struct JoinError: Error, CustomStringConvertible {
        public let description: String
    }

    public let id: String
    public let settings: Settings
    /// The logs of this node's matches, stored at each heartbeat.
    public let logs: ClusterLogBook
    let client: PostgresClient
    let events: Events
    let logger: Logger
    let state = NIOLockedValueBox(State())

    struct State {
        var listing: [ClusterMatch] = []
        var liveNodes = 0
        var listedAt: ContinuousClock.Instant?
        var reachable = true
        /// Since when every heartbeat has reached the database.
        var reachableSince: ContinuousClock.Instant?
        var beats = 0
        var failures = 0
        var clientTask: Task<Void, Never>?
        var heartbeatTask: Task<Void, Never>?
        var left = false
        /// Seat tokens redeemed here since the last heartbeat: the seat
        /// counts as reserved until the heartbeat that counts its player.
        var redeemed: [String] = []
        /// Seat tokens being taken or taken here and not yet freed in the
        /// database: a token seats one player, however many connect with it.
        var claimed: Set<String> = []
        /// Matches taken over from a dead node and being started here: the
        /// heartbeat keeps their rows until `adopted` or `giveUp`.
        var adopting: Set<String> = []
        var adoptedCount = 0
        /// Claimed matches whose logs are still to read, and whether a
        /// reader is at it.
        var toRead: [Claimed] = []
        var reading = false
    }

    private init(settings: Settings, logs: ClusterLogBook, events: Events, logger: Logger) {
        self.id = UUID().uuidString.lowercased()
        self.settings = settings
        self.logs = logs
        self.events = events
        self.logger = logger
        client = PostgresClient(configuration: settings.database.clientConfiguration(), backgroundLogger: logger)
    }

    /// Connects, brings the schema up to date, registers the node and
    /// publishes its first report, then heartbeats until `leave()`. Throws,
    /// with the reason, when PostgreSQL does not answer within `within`.
    public static func join(_ settings: Settings, within limit: Duration = .seconds(10), logs: ClusterLogBook = ClusterLogBook(),
                            logger: Logger, events: Events) async throws -> ClusterNode {
        let node = ClusterNode(settings: settings, logs: logs, events: events, logger: logger)
        let client = node.client
        // Detached: PostgresClient.run() ends at a graceful shutdown, which a
        // child task would inherit from the server's lifecycle (SIGTERM); the
        // node still needs the database to drain and to leave or hand over.
        node.state.withLockedValue { $0.clientTask = Task.detached { await client.run() } }
        do {
            try await Self.deadline(limit, "the cluster database \(settings.database) did not answer within \(limit)") {
                let applied = try await ClusterSchema.migrate(client, logger: logger)
                if !applied.isEmpty { logger.info("cluster schema migrated", metadata: ["versions": "\(applied)"]) }
                try await node.beat(adopting: false)
            }
        } catch {
            node.state.withLockedValue { $0.clientTask?.cancel() }
            if let error = error as? JoinError { throw error }
            throw JoinError(description: "cannot join the cluster at \(settings.database): \(Self.describe(error))")
        }
        node.state.withLockedValue { $0.heartbeatTask = Task.detached { await node.heartbeatLoop() } }
        logger.info("joined the cluster", metadata: ["node": "\(node.id)", "advertise": "\(settings.advertise)"])
        return node
    }

    /// The cluster's running matches on live nodes as of the last heartbeat
    /// that reached the database, oldest first; nil when that is older than
    /// `nodeTimeout`.
    public func listing() -> [ClusterMatch]? {
        state.withLockedValue { state in
            guard let at = state.listedAt, ContinuousClock.now - at <= settings.nodeTimeout else { return nil }
            return state.listing
        }
    }

    /// Heartbeats that reached the database, and those that did not.
    public var heartbeats: (succeeded: Int, failed: Int) { state.withLockedValue { ($0.beats, $0.failures) } }

    /// What the last heartbeat saw: whether it reached the database, and
    /// the live nodes and their running matches.
    public var status: (reachable: Bool, nodes: Int, matches: Int) {
        state.withLockedValue { ($0.reachable && $0.listedAt != nil, $0.liveNodes, $0.listing.count) }
    }

    /// Stops the heartbeat and removes the node and its matches from the
    /// cluster (a node that stops cleanly leaves nothing behind).
    public func leave() async {
        guard let clientTask = await stopHeartbeat() else { return }
        do {
            try await Self.deadline(.seconds(3), "leaving timed out") { [client, id] in
                try await client.query("DELETE FROM tickwire_nodes WHERE id = \(id)")
            }
        } catch {
            logger.warning("could not remove this node from the cluster; it expires by its heartbeat",
                           metadata: ["error": "\(Self.describe(error))"])
        }
        clientTask?.cancel()
        await clientTask?.value
    }

    /// Leaves the cluster handing this node's matches to the others: one
    /// last heartbeat stores their logs and seats (the server froze them
    /// first), then the node marks itself dead, so live nodes take them over
    /// at their next heartbeat. A last heartbeat that fails leaves them to
    /// be taken over from the previous one once the node's heartbeat expires.
    public func handOver() async {
        guard let clientTask = await stopHeartbeat() else { return }
        do {
            try await Self.deadline(.seconds(5), "the last heartbeat timed out") { [self] in
                try await beat(adopting: false)
                try await client.query("UPDATE tickwire_nodes SET heartbeat_at = to_timestamp(0), draining = true WHERE id = \(id)",
                                       logger: logger)
            }
            logger.info("matches handed over to the cluster")
        } catch {
            logger.error("could not hand the matches over now; other nodes take them over when this node's heartbeat expires",
                         metadata: ["error": "\(Self.describe(error))"])
        }
        clientTask?.cancel()
        await clientTask?.value
    }

    /// The first time: stops the heartbeat and returns the database
    /// client's task (for one last word before it is ended); nil after.
    private func stopHeartbeat() async -> Task<Void, Never>?? {
        let tasks = state.withLockedValue { state -> (Task<Void, Never>?, Task<Void, Never>?)? in
            guard !state.left else { return nil }
            state.left = true
            return (state.heartbeatTask, state.clientTask)
        }
        guard let (heartbeat, clientTask) = tasks else { return nil }
        heartbeat?.cancel()
        await heartbeat?.value
        return .some(clientTask)
    }

    private func heartbeatLoop() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: settings.heartbeat)
            if Task.isCancelled { return }
            // A beat unanswered for half the node timeout has failed: the
            // next one starts on time, and the node is not yet taken for dead.
            let limit = settings.nodeTimeout / 2
            do {
                try await Self.deadline(limit, "no answer within \(limit)") { try await self.beat() }
            } catch {
                let first = state.withLockedValue { state -> Bool in
                    defer { state.reachable = false; state.failures += 1 }
                    return state.reachable
                }
                if first {
                    logger.error("the cluster database is unreachable; matches go on, the cluster listing goes stale",
                                 metadata: ["error": "\(Self.describe(error))"])
                }
            }
        }
    }

    /// One heartbeat: the node's row and matches in one transaction, then
    /// the listing of every live node's matches.
    /// `adopting`: whether this beat may take over dead nodes' matches
    /// (not the first, made before the server holds the node).
    func beat(adopting mayAdopt: Bool = true) async throws {
        await events.flushLogs()
        let report = events.report()
        let (redeemed, adopting) = state.withLockedValue { ($0.redeemed, Array($0.adopting)) }
        let matches = String(decoding: try JSONEncoder().encode(report.matches), as: UTF8.self)
        let ids = report.matches.map(\.id)
        let kept = ids + adopting
        let timeout = Self.seconds(settings.nodeTimeout)
        // Chunks of a match not in this report (it started after the report
        // was made) wait for the next heartbeat.
        let published = Set(ids)
        let taken = logs.take()
        let chunks = taken.filter { published.contains($0.match) }
        logs.putBack(taken.filter { !published.contains($0.match) })
        let broken = logs.takeBroken()
        let logRows = String(decoding: try JSONEncoder().encode(chunks.map(LogRow.init)), as: UTF8.self)
        let seats = String(decoding: try JSONEncoder().encode(report.seats), as: UTF8.self)
        let tokens = report.seats.map(\.token)
        do {
            try await client.withTransaction(logger: logger) { [id, settings, logger] connection in
                try await connection.query("""
                    INSERT INTO tickwire_nodes (id, advertise, heartbeat_at, draining, matches, players, cpu, games)
                    VALUES (\(id), \(settings.advertise), now(), \(report.draining), \(report.matches.count), \(report.players), \(report.cpu),
                            \(report.games)::text[])
                    ON CONFLICT (id) DO UPDATE SET heartbeat_at = now(), draining = excluded.draining,
                        matches = excluded.matches, players = excluded.players, cpu = excluded.cpu, games = excluded.games
                    """, logger: logger)
                try await connection.query("""
                    INSERT INTO tickwire_matches (id, node_id, game, players, spectators, capacity, tick, locked, started_at, updated_at)
                    SELECT m.id, \(id), m.game, m.players, m.spectators, m.capacity, m.tick, m.locked,
                           now() - make_interval(secs => m.age), now()
                    FROM jsonb_to_recordset(\(matches)::jsonb)
                        AS m(id text, game text, players integer, spectators integer, capacity integer, tick bigint,
                             locked boolean, age double precision)
                    ON CONFLICT (id) DO UPDATE SET players = excluded.players, spectators = excluded.spectators,
                        capacity = excluded.capacity, tick = excluded.tick, locked = excluded.locked, updated_at = now(),
                        provisional = false
                        WHERE tickwire_matches.node_id = excluded.node_id
                    """, logger: logger)
                // Logs go only to matches still this node's: one another node
                // took over (this node was taken for dead) is not written to.
                // A chunk 0 starts a log over (a reload of the rules): what was stored goes.
                let restarted = chunks.filter { $0.sequence == 0 }.map(\.match)
                if !restarted.isEmpty {
                    try await connection.query("""
                        DELETE FROM tickwire_match_logs l USING tickwire_matches m
                        WHERE l.match_id = m.id AND m.node_id = \(id) AND m.id = ANY(\(restarted)::text[])
                        """, logger: logger)
                }
                if !chunks.isEmpty {
                    try await connection.query("""
                        INSERT INTO tickwire_match_logs (match_id, seq, bytes)
                        SELECT l.match, l.sequence, decode(l.bytes, 'base64')
                        FROM jsonb_to_recordset(\(logRows)::jsonb) AS l(match text, sequence integer, bytes text)
                        JOIN tickwire_matches m ON m.id = l.match AND m.node_id = \(id)
                        ON CONFLICT (match_id, seq) DO NOTHING
                        """, logger: logger)
                }
                if !broken.isEmpty {
                    try await connection.query("""
                        DELETE FROM tickwire_match_logs l USING tickwire_matches m
                        WHERE l.match_id = m.id AND m.node_id = \(id) AND m.id = ANY(\(broken)::text[])
                        """, logger: logger)
                }
                // Gone: ended here, or placed here by matchmaking and never started.
                try await connection.query("""
                    DELETE FROM tickwire_matches WHERE node_id = \(id) AND NOT (id = ANY(\(kept)::text[]))
                        AND NOT (provisional AND started_at > now() - make_interval(secs => \(Self.seconds(Self.seatLifetime))))
                    """, logger: logger)
                // The players of redeemed seats are counted above: the seats go.
                try await connection.query("DELETE FROM tickwire_seats WHERE token = ANY(\(redeemed)::text[])", logger: logger)
                // Resume tokens: those of freed seats go, new ones come.
                try await connection.query("""
                    DELETE FROM tickwire_resume r USING tickwire_matches m
                    WHERE r.match_id = m.id AND m.node_id = \(id) AND m.id = ANY(\(ids)::text[])
                      AND NOT (r.token = ANY(\(tokens)::text[]))
                    """, logger: logger)
                if !report.seats.isEmpty {
                    try await connection.query("""
                        INSERT INTO tickwire_resume (token, match_id, player, account)
                        SELECT s.token, s.match, s.player, s.account
                        FROM jsonb_to_recordset(\(seats)::jsonb) AS s(match text, player integer, token text, account text)
                        JOIN tickwire_matches m ON m.id = s.match AND m.node_id = \(id)
                        ON CONFLICT (token) DO NOTHING
                        """, logger: logger)
                }
            }
        } catch {
            logs.putBack(chunks)
            logs.putBackBroken(broken)
            throw error
        }
        // In one round trip: the live nodes, and this node's matches another
        // node holds now.
        var lost: [String] = []
        var liveNodes = 0
        let seen = try await client.query("""
            SELECT (SELECT count(*) FROM tickwire_nodes WHERE heartbeat_at > now() - make_interval(secs => \(timeout)))::bigint,
                   array(SELECT id FROM tickwire_matches WHERE id = ANY(\(ids)::text[]) AND node_id <> \(id))
            """, logger: logger)
        for try await (count, moved) in seen.decode((Int, [String]).self) {
            liveNodes = count
            lost = moved
        }
        if !lost.isEmpty {
            for match in lost { logs.close(match: match) }
            logger.error("matches of this node were taken over by other nodes (this node was taken for dead): they end here",
                         metadata: ["matches": "\(lost)"])
            events.lost(lost)
        }
        state.withLockedValue { state in
            state.redeemed.removeFirst(min(redeemed.count, state.redeemed.count))
            state.claimed.subtract(redeemed)
        }
        var listing: [ClusterMatch] = []
        let rows = try await client.query("""
            SELECT m.id, m.game, m.players::bigint, m.spectators::bigint, m.capacity::bigint, m.tick, m.locked,
                   extract(epoch FROM now() - m.started_at)::float8, n.id, n.advertise, m.labels::text
            FROM tickwire_matches m JOIN tickwire_nodes n ON n.id = m.node_id
            WHERE n.heartbeat_at > now() - make_interval(secs => \(timeout)) AND NOT m.provisional
            ORDER BY m.started_at, m.id
            """, logger: logger)
        for try await (match, game, players, spectators, capacity, tick, locked, age, nodeID, node, labels)
            in rows.decode((String, String, Int, Int, Int, Int, Bool, Double, String, String, String).self) {
            listing.append(ClusterMatch(Published(id: match, game: game, players: players, spectators: spectators, capacity: capacity,
                                                  tick: tick, locked: locked, age: age), nodeID: nodeID, node: node,
                                        labels: Self.labels(json: labels)))
        }
        let (recovered, reachableFor) = state.withLockedValue { state -> (Bool, Duration) in
            state.listing = listing
            state.liveNodes = liveNodes
            state.listedAt = .now
            state.beats += 1
            if !state.reachable || state.reachableSince == nil { state.reachableSince = .now }
            defer { state.reachable = true }
            return (!state.reachable, ContinuousClock.now - (state.reachableSince ?? .now))
        }
        if recovered { logger.info("the cluster database answers again") }
        // A node judges others dead only once it has itself reached the
        // database for a whole node timeout (and a heartbeat): after an
        // outage every node's heartbeat is old, and none of them is dead.
        if mayAdopt, settings.adopts, !report.draining, reachableFor >= settings.nodeTimeout + settings.heartbeat {
            try await adoptFromDeadNodes(games: report.games)
        }
    }

    /// A log chunk as the heartbeat sends it.
    private struct LogRow: Encodable {
        let match: String
        let sequence: Int
        let bytes: String

        init(_ chunk: ClusterLogBook.Chunk) {
            match = chunk.match
            sequence = chunk.sequence
            bytes = Data(chunk.bytes).base64EncodedString()
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    // MARK: Matchmaking

    /// How long a reserved seat waits for its player.
    public static let seatLifetime: Duration = .seconds(30)

    /// A seat matchmaking reserved: in match `matchID` on the node at
    /// `node`, for whoever connects there with `token` within `seatLifetime`.
    public struct Reservation: Sendable, Codable {
        public let matchID: String
        public let node: String
        public let token: String
        /// True when the match is new: its node starts it when the first
        /// player with a seat in it arrives.
        public let created: Bool
    }

    /// Why there is no seat: no live node has the game, or the database
    /// does not answer.
    public struct MatchmakingError: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    /// Reserves a seat of `game` cluster-wide: in the fullest open match on
    /// a live node that is not draining, counting players and seats still
    /// reserved, or else in a new match (`newMatchID`, `capacity` seats) on
    /// the least loaded live node that has the game. One transaction under
    /// a lock per game, so concurrent requests on any nodes fill matches
    /// one at a time and never past their capacity. With `labels`, only a
    /// match placed with at least those labels is open, and a new one
    /// carries them.
    public func matchmake(game: String, labels: [String: String] = [:], capacity: Int, newMatchID: String) async throws -> Reservation {
        let token = Self.randomToken()
        let wanted = String(decoding: try JSONEncoder().encode(labels), as: UTF8.self)
        let timeout = Self.seconds(settings.nodeTimeout)
        let lifetime = Self.seconds(Self.seatLifetime)
        return try await client.withTransaction(logger: logger) { [logger] connection in
            try await connection.query("SELECT pg_advisory_xact_lock(hashtextextended('tickwire matchmaking ' || \(game), 0))", logger: logger)
            try await connection.query("DELETE FROM tickwire_seats WHERE expires_at < now()", logger: logger)
            var chosen: (id: String, node: String, created: Bool)?
            let open = try await connection.query("""
                SELECT m.id, n.advertise
                FROM tickwire_matches m JOIN tickwire_nodes n ON n.id = m.node_id
                CROSS JOIN LATERAL (SELECT count(*) AS seats FROM tickwire_seats s WHERE s.match_id = m.id) r
                WHERE m.game = \(game) AND NOT m.locked AND NOT n.draining AND m.labels @> \(wanted)::jsonb
                  AND n.heartbeat_at > now() - make_interval(secs => \(timeout))
                  AND m.players + r.seats < m.capacity
                ORDER BY m.players + r.seats DESC, m.started_at, m.id
                LIMIT 1
                """, logger: logger)
            for try await (id, node) in open.decode((String, String).self) { chosen = (id, node, false) }
            if chosen == nil {
                let nodes = try await connection.query("""
                    SELECT id, advertise FROM tickwire_nodes
                    WHERE NOT draining AND heartbeat_at > now() - make_interval(secs => \(timeout)) AND \(game) = ANY(games)
                    ORDER BY (SELECT count(*) FROM tickwire_matches x WHERE x.node_id = tickwire_nodes.id), players, cpu, id
                    LIMIT 1
                    """, logger: logger)
                var target: (String, String)?
                for try await row in nodes.decode((String, String).self) { target = row }
                guard let (nodeID, node) = target else {
                    throw MatchmakingError(description: "no live node of the cluster has the game \"\(game)\"")
                }
                try await connection.query("""
                    INSERT INTO tickwire_matches (id, node_id, game, players, spectators, capacity, tick, locked, started_at, provisional, labels)
                    VALUES (\(newMatchID), \(nodeID), \(game), 0, 0, \(capacity), 0, false, now(), true, \(wanted)::jsonb)
                    """, logger: logger)
                chosen = (newMatchID, node, true)
            }
            guard let chosen else { throw MatchmakingError(description: "no match was chosen") }
            try await connection.query("""
                INSERT INTO tickwire_seats (token, match_id, expires_at)
                VALUES (\(token), \(chosen.id), now() + make_interval(secs => \(lifetime)))
                """, logger: logger)
            return Reservation(matchID: chosen.id, node: chosen.node, token: token, created: chosen.created)
        }
    }

    /// The match a seat token reserved on this node for `game`, and whether
    /// the node has yet to start it; nil when the token is unknown, expired,
    /// or for another node or game, or already being taken here. The token
    /// is claimed until `release(_:)` (no player seated) or `redeemed(_:)`;
    /// the seat stays reserved until the heartbeat after `redeemed(_:)`.
    public func seat(token: String, game: String) async throws -> (matchID: String, provisional: Bool)? {
        guard state.withLockedValue({ $0.claimed.insert(token).inserted }) else { return nil }
        var found: (matchID: String, provisional: Bool)?
        defer { if found == nil { release(token) } }
        found = try await lookUp(token: token, game: game)
        return found
    }

    /// A claimed seat whose player was not seated after all: usable again.
    public func release(_ token: String) {
        _ = state.withLockedValue { $0.claimed.remove(token) }
    }

    private func lookUp(token: String, game: String) async throws -> (matchID: String, provisional: Bool)? {
        let rows = try await client.query("""
            SELECT m.id, m.provisional FROM tickwire_seats s JOIN tickwire_matches m ON m.id = s.match_id
            WHERE s.token = \(token) AND s.expires_at > now() AND m.node_id = \(id) AND m.game = \(game)
            """, logger: logger)
        for try await (match, provisional) in rows.decode((String, Bool).self) { return (match, provisional) }
        return nil
    }

    /// The seat of `token` has its player: the next heartbeat counts them
    /// and frees the reservation, in one transaction.
    public func redeemed(_ token: String) {
        state.withLockedValue { $0.redeemed.append(token) }
    }

    /// Labels as stored (a JSON object of strings); empty when unreadable.
    static func labels(json: String) -> [String: String] {
        (try? JSONDecoder().decode([String: String].self, from: Data(json.utf8))) ?? [:]
    }

    static func randomToken() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        var generator = SystemRandomNumberGenerator()
        return String(decoding: (0..<24).map { _ in alphabet[Int(generator.next() & 63)] }, as: UTF8.self)
    }

    /// `body`, or a JoinError saying `message` once `limit` has passed.
    private static func deadline(_ limit: Duration, _ message: String,
                                 _ body: @escaping @Sendable () async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask { try await body(); return true }
            group.addTask { try await Task.sleep(for: limit); return false }
            defer { group.cancelAll() }
            guard let finished = try await group.next(), finished else { throw JoinError(description: message) }
        }
    }

    /// PostgreSQL's own message when there is one (PSQLError hides it from
    /// `description` by design).
    public static func describe(_ error: any Error) -> String {
        if let error = error as? PostgresTransactionError,
           let inner = error.beginError ?? error.closureError ?? error.commitError ?? error.rollbackError {
            return describe(inner)
        }
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] { return message }
            return "\(error.code)"
        }
        return "\(error)"
    }
}
