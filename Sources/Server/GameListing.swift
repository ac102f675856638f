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

    /// Every game of `directory`, loaded or not, in name order.
    static func all(in directory: MatchDirectory) -> [GameListing] {
        let summaries = directory.summaries()
        var listings = directory.games.map { name, game in
            GameListing(name: name, title: game.name, tickRate: game.tickRate, maxPlayers: game.maxPlayers,
                        matches: summaries.filter { $0.game == name }.count, error: nil)
        }
        listings += directory.brokenGames.map { GameListing(name: $0.key, error: $0.value) }
        return listings.sorted { $0.name < $1.name }
    }
}
