import Foundation
@testable import Engine

/// A game folder written for one test, removed when the test ends.
final class GameFixture {
    let folder: URL

    init(_ files: [String: String]) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("tw-game-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (name, text) in files {
            let url = folder.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
    }

    convenience init(game: String) throws { try self.init(["game.lua": game]) }

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

/// Collects log lines from a match.
final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    var lines: [String] { lock.withLock { items } }
    var sink: @Sendable (String) -> Void { { [self] line in lock.withLock { items.append(line) } } }
}

/// A minimal game: ships that move by their input.
let movingShips = """
local game = { name = "moving", tick_rate = 20, max_players = 4 }
game.state = {
  match = { ticks = "u16" },
  ship = { x = { "fixed", -100, 100, 0.5 }, y = "i16", name = { "string", 8 }, alive = "bool" },
  mark = { at = { "entity", "ship" } },
}
game.input = { dx = "i8", boost = "bool" }
game.events = { moved = { who = "entity", by = "i8" } }
local ships = {}
function game.join(match, player)
  if player.name == "nobody" then return false, "no nobodies" end
  ships[player.id] = match:spawn("ship", { x = 0, y = player.id, name = player.name, alive = true })
  return true
end
function game.leave(match, player)
  match:despawn(ships[player.id])
  ships[player.id] = nil
end
function game.tick(match, inputs, dt)
  match.ticks = match.tick
  for id, input in pairs(inputs) do
    local s = ships[id]
    s.x = s.x + input.dx * (input.boost and 2 or 1)
    match:broadcast("moved", { who = s, by = input.dx })
  end
end
return game
"""
