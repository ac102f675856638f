import Engine
import Foundation

/// A game folder (`game.lua`, often `bot.lua`, maybe modules in subfolders)
/// written for one test and removed when the test ends.
public final class GameFixture {
    public let folder: URL

    public init(_ files: [String: String]) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("tw-game-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (name, text) in files {
            let url = folder.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
    }

    public convenience init(game: String, bot: String? = nil) throws {
        try self.init(bot.map { ["game.lua": game, "bot.lua": $0] } ?? ["game.lua": game])
    }

    public var path: String { folder.path }

    public func load() throws -> GameDefinition { try GameDefinition.load(folder: path) }

    deinit { try? FileManager.default.removeItem(at: folder) }
}

/// The repository's `games/` folder, found from this source file.
public let gamesFolder: String = {
    var url = URL(fileURLWithPath: #filePath)
    while url.path != "/" {
        url.deleteLastPathComponent()
        let games = url.appendingPathComponent("games")
        if FileManager.default.fileExists(atPath: games.appendingPathComponent("arena/game.lua").path) { return games.path }
    }
    return "games"
}()

/// The 1-based line of `source` holding `marker`, or 0: tests mark the line an
/// error must name with a comment such as `-- here`.
public func line(of marker: String, in source: String) -> Int {
    let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
    return (lines.firstIndex { $0.contains(marker) } ?? -1) + 1
}
