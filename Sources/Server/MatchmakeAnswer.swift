import Cluster
import Foundation

/// The answer to `POST /matchmake`: where the reserved seat is, and the
/// URL that takes it (`url`, ready for a WebSocket). For a resume, `seat`
/// is the resume token and `url` resumes with it on the match's node.
struct MatchmakeAnswer: Codable, Equatable {
    let match: String
    let node: String
    let seat: String
    let url: String
    /// True when the match is new: it starts as its first player arrives.
    let created: Bool
    let expiresInSeconds: Int

    init(_ reservation: ClusterNode.Reservation, game: String) {
        match = reservation.matchID
        node = reservation.node
        seat = reservation.token
        created = reservation.created
        expiresInSeconds = Int(ClusterNode.seatLifetime.components.seconds)
        let query = "game=\(Self.queryValue(game))&match=\(reservation.matchID)&seat=\(reservation.token)"
        url = "\(reservation.node)/play?\(query)"
    }

    /// Where the seat of resume token `token` is now.
    init(resuming token: String, match: String, node: String, grace: Duration) {
        self.match = match
        self.node = node
        seat = token
        created = false
        expiresInSeconds = Int(grace.components.seconds)
        url = "\(node)/play?resume=\(Self.queryValue(token))"
    }

    /// `text` as a query value: unreserved characters kept, the rest %XX.
    private static func queryValue(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
