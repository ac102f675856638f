import Engine

/// One game of the server, as `GET /games` lists it: by the folder name
/// `/play?game=` takes; a game that did not load carries its error instead.
struct GameListing: Codable, Equatable, Sendable {
    var name: String
    /// `game.name` from the rules.
    var title: String?
    var tickRate: Int?
    var maxPlayers: Int?
    var matches: Int?
    /// Why the game is not served (file:line: message).
    var error: String?
    /// Why the last reload of a served game was refused (file:line:
    /// message): the game still runs the rules that loaded before.
    var reloadError: String?

    /// Every game of `directory`, loaded or not, in name order.
    static func all(in directory: MatchDirectory) -> [GameListing] {
        let summaries = directory.summaries()
        let reloadErrors = directory.reloadErrors
        var listings = directory.games.map { name, game in
            GameListing(name: name, title: game.name, tickRate: game.tickRate, maxPlayers: game.maxPlayers,
                        matches: summaries.filter { $0.game == name }.count, error: nil, reloadError: reloadErrors[name])
        }
        listings += directory.brokenGames.map { GameListing(name: $0.key, error: $0.value) }
        return listings.sorted { $0.name < $1.name }
    }
}
