import Engine
import NIOHTTP1

/// What a client asks for when it opens a WebSocket, from the request line:
///
///     /play?game=arena[&name=Ann][&token=JWT]       the fullest open arena match, or a new one
///     /play?game=arena&match=ID                     that match
///     /play?game=arena&match=ID&seat=TOKEN          the seat `POST /matchmake` reserved (a cluster)
///     /play?resume=TOKEN                            the seat a dropped connection held
///     /spectate?match=ID                            watch without a seat
///     /spectate?match=ID&follow=N                   watch what player N sees
///
/// Parsing is total: garbage gets an `HTTPRefusal` naming what is wrong.
struct PlayRequest: Sendable, Equatable {
    enum Target: Sendable, Equatable {
        case play(game: String, match: String?)
        case resume(token: String)
        /// `follow`: the seat whose view to watch (nil: the spectators' view).
        case spectate(match: String, follow: Int?)
    }

    var target: Target
    /// The player's display name (the JWT's claim wins when auth is on).
    var name: String
    /// A JWT from the query, if any (the subprotocol is the other place).
    var token: String?
    /// A seat token from `POST /matchmake` (with `match`), if any.
    var seat: String? = nil

    /// The game sees at most 32 characters of it (`Match.join`).
    static let maxNameBytes = 256
    static let maxTokenBytes = 4096

    /// Parses `uri` (path and query). Returns nil when the path is not one
    /// of ours, so the request goes to the HTTP routes instead.
    static func parse(uri: String) -> Result<PlayRequest, HTTPRefusal>? {
        let (path, query) = split(uri: uri)
        guard path == "/play" || path == "/spectate" else { return nil }
        guard let fields = decodeQuery(query) else {
            return .failure(HTTPRefusal(.badRequest, "the query string is not valid percent-encoded UTF-8"))
        }
        func value(_ key: String) -> String? { fields.last { $0.0 == key }?.1 }
        let name = value("name") ?? ""
        guard name.utf8.count <= maxNameBytes else {
            return .failure(HTTPRefusal(.badRequest, "the name is longer than \(maxNameBytes) bytes"))
        }
        let token = value("token")
        if let token, token.utf8.count > maxTokenBytes {
            return .failure(HTTPRefusal(.badRequest, "the token is longer than \(maxTokenBytes) bytes"))
        }
        if path == "/spectate" {
            guard let match = value("match"), !match.isEmpty else {
                return .failure(HTTPRefusal(.badRequest, "/spectate needs ?match=ID (see GET /matches)"))
            }
            var follow: Int?
            if let text = value("follow") {
                guard let seat = Int(text), (1...Welcome.maxPlayerID).contains(seat) else {
                    return .failure(HTTPRefusal(.badRequest, "follow must be a player id from 1 to \(Welcome.maxPlayerID)"))
                }
                follow = seat
            }
            return .success(PlayRequest(target: .spectate(match: match, follow: follow), name: name, token: token))
        }
        if let resume = value("resume"), !resume.isEmpty {
            return .success(PlayRequest(target: .resume(token: resume), name: name, token: token))
        }
        guard let game = value("game"), !game.isEmpty else {
            return .failure(HTTPRefusal(.badRequest, "/play needs ?game=NAME (or ?resume=TOKEN)"))
        }
        let match = value("match").flatMap { $0.isEmpty ? nil : $0 }
        let seat = value("seat").flatMap { $0.isEmpty ? nil : $0 }
        if let seat {
            guard match != nil else { return .failure(HTTPRefusal(.badRequest, "a seat token needs the match it is for (&match=ID)")) }
            guard seat.utf8.count <= 64 else { return .failure(HTTPRefusal(.badRequest, "the seat token is longer than 64 bytes")) }
        }
        return .success(PlayRequest(target: .play(game: game, match: match), name: name, token: token, seat: seat))
    }

    static func split(uri: String) -> (path: String, query: Substring) {
        guard let q = uri.firstIndex(of: "?") else { return (uri, "") }
        return (String(uri[..<q]), uri[uri.index(after: q)...])
    }

    /// `a=1&b=x%20y` → [("a", "1"), ("b", "x y")]; nil on bad escapes or UTF-8.
    static func decodeQuery(_ query: Substring) -> [(String, String)]? {
        var fields: [(String, String)] = []
        for part in query.split(separator: "&", omittingEmptySubsequences: true) {
            let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let key = PercentDecoding.decode(pieces[0], plusIsSpace: true),
                  let value = PercentDecoding.decode(pieces.count > 1 ? pieces[1] : "", plusIsSpace: true) else { return nil }
            fields.append((key, value))
        }
        return fields
    }
}

/// An HTTP answer to a request we will not serve, with a plain-text reason.
struct HTTPRefusal: Error, Sendable, Equatable {
    let status: HTTPResponseStatus
    let message: String

    init(_ status: HTTPResponseStatus, _ message: String) {
        self.status = status
        self.message = message
    }
}
