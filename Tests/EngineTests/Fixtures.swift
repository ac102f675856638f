import Foundation
import Testing
@testable import Engine
import Lua
import TestSupport

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

/// A game with kinds `gem` and `rock` (field `v`), match field `n`, the same
/// inputs as `movingShips` and event `note`, whose callbacks run the given
/// bodies. Mark a line with `-- here` to find it with `line(of:in:)`.
func scriptedGame(tick: String, join: String = "return true", initBody: String = "") -> String {
    """
    local game = { name = "scripted", tick_rate = 30, max_players = 4 }
    game.state = {
      match = { n = "u32" },
      rock = { v = "i32" },
      gem = { v = "i32" },
    }
    game.input = { dx = "i8", boost = "bool" }
    game.events = { note = { v = "i32" } }
    function game.init(match, params)
    \(initBody)
    end
    function game.join(match, player)
    \(join)
    end
    function game.tick(match, inputs, dt)
    \(tick)
    end
    return game
    """
}

/// A match of `source`, with the fixture that keeps its folder alive.
func startMatch(_ source: String, _ options: MatchOptions = MatchOptions()) throws -> (Match, GameFixture) {
    let fixture = try GameFixture(game: source)
    return (try Match(game: fixture.load(), options: options), fixture)
}


extension Match {
    /// The failure that ended the match, if one did.
    var endingFailure: ScriptFailure? {
        if case .failed(let failure) = status { return failure }
        return nil
    }
}

/// Options for `scriptedGame` matches: the first failure ends the match by default.
func scriptOptions(_ policy: ScriptFailurePolicy = .endMatch(afterFailures: 1), limits: LuaLimits = LuaLimits(),
                   maxEntities: Int = 4096, log: LogLines = LogLines()) -> MatchOptions {
    MatchOptions(limits: limits, failurePolicy: policy, maxEntities: maxEntities, log: log.sink)
}

/// Checks that `error` names the line of `source` marked `-- here` and says `words`.
func expectAt(_ error: GameError, marked source: String, _ words: String,
              sourceLocation: SourceLocation = #_sourceLocation) {
    let wanted = "game.lua:\(line(of: "-- here", in: source))"
    #expect(error.location?.hasSuffix(wanted) == true, "\(error.location ?? "nil") should end with \(wanted)",
            sourceLocation: sourceLocation)
    #expect(error.message.contains(words), "\(error.message)", sourceLocation: sourceLocation)
}
