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
}
