import Foundation
import Testing
import Engine
import Lua

/// A game folder (`game.lua`, often `bot.lua`) written for one test, removed
/// when the test ends.
final class GameFixture {
    let folder: URL

    init(_ files: [String: String]) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("tw-bots-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (name, text) in files {
            try text.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
    }

    convenience init(game: String, bot: String? = nil) throws {
        try self.init(bot.map { ["game.lua": game, "bot.lua": $0] } ?? ["game.lua": game])
    }

    var path: String { folder.path }

    func load() throws -> GameDefinition { try GameDefinition.load(folder: path) }

    deinit { try? FileManager.default.removeItem(at: folder) }
}

/// The repository's `games/` folder, found from this source file.
let gamesFolder: String = {
    var url = URL(fileURLWithPath: #filePath)
    while url.path != "/" {
        url.deleteLastPathComponent()
        let games = url.appendingPathComponent("games")
        if FileManager.default.fileExists(atPath: games.appendingPathComponent("arena/game.lua").path) { return games.path }
    }
    return "games"
}()

/// Collects log lines (the bots' `print` output among them) from any thread.
final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    var lines: [String] { lock.withLock { items } }
    var sink: @Sendable (String) -> Void { { [self] line in lock.withLock { items.append(line) } } }

    /// The lines logged since the last call.
    func drain() -> [String] { lock.withLock { defer { items = [] }; return items } }
}

/// The 1-based line of `source` holding `marker`, or 0.
func line(of marker: String, in source: String) -> Int {
    let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
    return (lines.firstIndex { $0.contains(marker) } ?? -1) + 1
}

/// A small game for bots: one `dot` per player that moves by `dx`, and match
/// field `moves` counting the inputs that arrived. Inputs are `dx` (i8) and
/// `go` (bool).
let dotsGame = """
local game = { name = "dots", tick_rate = 20, max_players = 4 }
game.state = {
  match = { moves = "u32" },
  dot = { x = "i32", owner = "u8" },
}
game.input = { dx = "i8", go = "bool" }
local dots = {}
function game.init(match, params) match.moves = 0 end
function game.join(match, player)
  dots[player.id] = match:spawn("dot", { x = 0, owner = player.id })
  return true
end
function game.tick(match, inputs, dt)
  for id, input in pairs(inputs) do
    dots[id].x = dots[id].x + input.dx
    match.moves = match.moves + 1
  end
end
return game
"""
