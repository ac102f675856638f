import Logging
import PostgresNIO

/// Taking over the matches of a dead node: every heartbeat that reached the
/// database looks for matches whose node has not beaten for `nodeTimeout`,
/// claims a few in one statement (`FOR UPDATE … SKIP LOCKED`: two live nodes
/// never claim the same match, and neither waits for the other), reads each
/// one's log and seats, and hands them to the server to start. Only matches
/// whose log is stored from its first chunk, of a game this node has, are
/// claimed.
extension ClusterNode {
    /// A match this node now owns, to start from its log.
    public struct Adoption: Sendable {
        public let matchID: String
        public let game: String
        /// The match's whole log as stored: a replay file cut at its last
        /// heartbeat.
        public let log: [UInt8]
        /// The number of the log's next chunk.
        public let nextChunk: Int
        /// Its players' seats, with the tokens they resume with.
        public let seats: [Seat]
        /// The node it was taken from.
        public let from: String
    }

    func adoptFromDeadNodes(games: [String]) async throws {
        let timeout = Self.seconds(settings.nodeTimeout)
        var claimed: [(id: String, game: String, from: String)] = []
        let rows = try await client.query("""
            WITH dead AS (
                SELECT m.id, m.node_id FROM tickwire_matches m JOIN tickwire_nodes n ON n.id = m.node_id
                WHERE n.heartbeat_at < now() - make_interval(secs => \(timeout)) AND NOT m.provisional
                  AND m.game = ANY(\(games)::text[])
                  AND EXISTS (SELECT 1 FROM tickwire_match_logs l WHERE l.match_id = m.id AND l.seq = 0)
                ORDER BY m.started_at, m.id
                LIMIT \(settings.adoptionsPerBeat)
                FOR UPDATE OF m SKIP LOCKED
            )
            UPDATE tickwire_matches t SET node_id = \(id), updated_at = now()
            FROM dead WHERE t.id = dead.id
            RETURNING t.id, t.game, dead.node_id
            """, logger: logger)
        for try await row in rows.decode((String, String, String).self) { claimed.append(row) }
        // Dead nodes with nothing left to take over go; so does any node
        // dead for a minute, with what is left of it.
        try await client.query("""
            DELETE FROM tickwire_nodes n
            WHERE n.heartbeat_at < now() - make_interval(secs => \(max(60, 4 * timeout)))
               OR (n.heartbeat_at < now() - make_interval(secs => \(timeout))
                   AND NOT EXISTS (SELECT 1 FROM tickwire_matches m WHERE m.node_id = n.id AND NOT m.provisional))
            """, logger: logger)
        guard !claimed.isEmpty else { return }
        // The logs are read apart from the heartbeat (whose time is bounded):
        // a long log must not make a heartbeat fail, nor a heartbeat's
        // deadline cut a log short.
        let startReader = state.withLockedValue { state -> Bool in
            for match in claimed {
                state.adopting.insert(match.id)
                state.toRead.append(Claimed(id: match.id, game: match.game, from: match.from, attempts: 0))
            }
            defer { state.reading = true }
            return !state.reading
        }
        if startReader { Task.detached { await self.readClaimed() } }
    }

    /// A match claimed from a dead node whose log is still to read.
    struct Claimed: Sendable {
        let id: String
        let game: String
        let from: String
        var attempts: Int
    }

    /// Reads each claimed match's log and seats and hands them to the
    /// server; a read that fails is tried again a few times, a second apart.
    private func readClaimed() async {
        while true {
            let next = state.withLockedValue { state -> Claimed? in
                guard !state.toRead.isEmpty else {
                    state.reading = false
                    return nil
                }
                return state.toRead.removeFirst()
            }
            guard var match = next else { return }
            do {
                let adoption = try await read(match.id, game: match.game, from: match.from)
                logger.warning("taking over a match of a dead node",
                               metadata: ["match": "\(match.id)", "from": "\(match.from)", "log_bytes": "\(adoption.log.count)"])
                events.adopt(adoption)
            } catch {
                match.attempts += 1
                guard match.attempts < 5, !(error is LogGap) else {
                    logger.error("cannot take over a match of a dead node", metadata: ["match": "\(match.id)", "error": "\(Self.describe(error))"])
                    giveUp(match.id)
                    continue
                }
                try? await Task.sleep(for: .seconds(1))
                state.withLockedValue { $0.toRead.append(match) }
            }
        }
    }

    private struct LogGap: Error, CustomStringConvertible {
        let description: String
    }

    private func read(_ match: String, game: String, from: String) async throws -> Adoption {
        var log: [UInt8] = []
        var next = 0
        let chunks = try await client.query("SELECT seq, bytes FROM tickwire_match_logs WHERE match_id = \(match) ORDER BY seq",
                                            logger: logger)
        for try await (sequence, bytes) in chunks.decode((Int, ByteBuffer).self) {
            guard sequence == next else { throw LogGap(description: "its log lacks chunk \(next) (it has \(sequence))") }
            log += bytes.readableBytesView
            next += 1
        }
        var seats: [Seat] = []
        let rows = try await client.query("SELECT player, token, account FROM tickwire_resume WHERE match_id = \(match) ORDER BY player",
                                          logger: logger)
        for try await (player, token, account) in rows.decode((Int, String, String?).self) {
            seats.append(Seat(match: match, player: player, token: token, account: account))
        }
        return Adoption(matchID: match, game: game, log: log, nextChunk: next, seats: seats, from: from)
    }

    /// The match taken over is running here: from the next heartbeat it is
    /// published as this node's.
    public func adopted(_ match: String) {
        state.withLockedValue { state in
            if state.adopting.remove(match) != nil { state.adoptedCount += 1 }
        }
    }

    /// The match taken over cannot run here: the next heartbeat removes it
    /// from the cluster (its players are told their token is unknown).
    public func giveUp(_ match: String) {
        _ = state.withLockedValue { $0.adopting.remove(match) }
    }

    /// Matches this node has taken over since it started.
    public var adoptions: Int { state.withLockedValue { $0.adoptedCount } }

    /// Where the seat `token` resumes: its match and that match's node;
    /// `moving` when the node is dead and the match not yet taken over.
    public enum ResumeLocation: Sendable, Equatable {
        case at(matchID: String, node: String)
        case moving(matchID: String)
        case unknown
    }

    /// Looks up the seat a resume token holds, cluster-wide.
    public func locate(resumeToken token: String) async throws -> ResumeLocation {
        let timeout = Self.seconds(settings.nodeTimeout)
        let rows = try await client.query("""
            SELECT m.id, n.advertise, n.heartbeat_at > now() - make_interval(secs => \(timeout))
            FROM tickwire_resume r JOIN tickwire_matches m ON m.id = r.match_id JOIN tickwire_nodes n ON n.id = m.node_id
            WHERE r.token = \(token)
            """, logger: logger)
        for try await (match, node, live) in rows.decode((String, String, Bool).self) {
            // A node taking the match over answers the resume once it runs it.
            return live ? .at(matchID: match, node: node) : .moving(matchID: match)
        }
        return .unknown
    }
}
