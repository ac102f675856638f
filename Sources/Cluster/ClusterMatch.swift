/// A match as the cluster knows it: what its node last published, and the
/// node that runs it (where players connect).
public struct ClusterMatch: Sendable, Codable, Equatable {
    public let id: String
    public let game: String
    public let players: Int
    public let spectators: Int
    public let capacity: Int
    public let tick: Int
    public let locked: Bool
    public let ageSeconds: Double
    /// The node's id and the URL it advertises (`serve --advertise`).
    public let nodeID: String
    public let node: String

    public init(id: String, game: String, players: Int, spectators: Int, capacity: Int, tick: Int, locked: Bool,
                ageSeconds: Double, nodeID: String, node: String) {
        self.id = id
        self.game = game
        self.players = players
        self.spectators = spectators
        self.capacity = capacity
        self.tick = tick
        self.locked = locked
        self.ageSeconds = ageSeconds
        self.nodeID = nodeID
        self.node = node
    }
}
