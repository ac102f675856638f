import Cluster

/// A match as `GET /matches` lists it.
public struct MatchSummary: Sendable, Codable, Equatable {
    public let id: String
    public let game: String
    /// Seats taken, including players away within their grace period.
    public let players: Int
    public let spectators: Int
    public let capacity: Int
    public let tick: Int
    public let ageSeconds: Double
    /// False once the match has ended (it then leaves the list).
    public let running: Bool
    /// True for a recording played back (`tickwire replay --serve`, steered
    /// by `/replay`); absent for a live match.
    public var replay: Bool? = nil
    /// True while the rules keep matchmaking from seating anyone new
    /// (`match:lock()`); absent otherwise.
    public var locked: Bool? = nil
    /// In a cluster (`serve --cluster`), the URL of the node that runs the
    /// match: players connect there. Absent on a single server.
    public var node: String? = nil
    /// In a cluster, the labels matchmaking placed the match with
    /// (`POST /matchmake {"game", "labels"}`); absent when it has none.
    public var labels: [String: String]? = nil
}

extension MatchSummary {
    /// A match another node of the cluster published.
    init(_ listed: ClusterMatch) {
        let match = listed.match
        self.init(id: match.id, game: match.game, players: match.players, spectators: match.spectators,
                  capacity: match.capacity, tick: match.tick, ageSeconds: match.age, running: true,
                  locked: match.locked ? true : nil, node: listed.node, labels: listed.labels.isEmpty ? nil : listed.labels)
    }
}
