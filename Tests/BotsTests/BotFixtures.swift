import Foundation
import Testing
import Engine
import Lua
import TestSupport

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
