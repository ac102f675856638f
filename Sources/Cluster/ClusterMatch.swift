/// A match as the cluster knows it: what its node last published, and the
/// node that runs it (where players connect).
public struct ClusterMatch: Sendable, Equatable {
    public let match: ClusterNode.Published
    /// The node's id and the URL it advertises (`serve --advertise`).
    public let nodeID: String
    public let node: String
    /// What matchmaking placed the match for (`{"region": "eu"}`); empty for
    /// a match started otherwise.
    public let labels: [String: String]

    public init(_ match: ClusterNode.Published, nodeID: String, node: String, labels: [String: String] = [:]) {
        self.match = match
        self.nodeID = nodeID
        self.node = node
        self.labels = labels
    }
}
