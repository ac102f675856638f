/// Resume tokens and match ids: random, unguessable, URL-safe.
enum ResumeToken {
    private static let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_".utf8)

    /// 128 random bits as 22 URL-safe characters.
    static func make() -> String { random(characters: 22) }

    /// `n` characters of 6 random bits each from the system's generator.
    static func random(characters n: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return String(decoding: (0..<n).map { _ in alphabet[Int(generator.next() & 63)] }, as: UTF8.self)
    }
}

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
}
