import Foundation
import Testing
import TestSupport
import Bots
import Engine

/// vec3 and quat fields end to end: declared in Lua, stored in the snapshot
/// as the protocol's integers, seen by a bot as tables, sent back as inputs
/// and read by the rules as tables again.
private let spaceGame = """
local game = { name = "space", tick_rate = 10, max_players = 2 }
game.state = {
  match = { sun = { "vec3", -8, 8, 0.25 } },
  probe = { at = { "vec3", { -100, 100, 0.5 }, { 0, 10, 0.1 }, { -1, 1, 1/64 } },
            turn = "quat", fine = { "quat", 16 } },
}
game.input = { aim = "quat", move = { "vec3", -1, 1, 0.5 } }
game.events = { ping = { where = { "vec3", -8, 8, 0.25 }, spin = "quat" } }
local first
function game.init(match, params)
  match.sun = { 1.1, -2.2, 3.3 }
  first = match:spawn("probe", { at = { x = 12.3, y = 4.56, z = -0.3 },
                                 turn = { x = 0, y = 0, z = 0.6, w = 0.8 }, fine = { 0.5, -0.5, 0.5, 0.5 } })
  match:spawn("probe", { at = { x = 500, z = 2, [2] = 3 }, turn = "up" })
  match:spawn("probe", {})
end
function game.tick(match, inputs, dt)
  local input = inputs[1]
  if input then
    first.turn = input.aim
    first.at = { x = input.move.x * 10, y = input.move.y + 5, z = input.move.z }
  end
  match:broadcast("ping", { where = match.sun, spin = first.turn })
end
return game
"""

/// Prints every vector and quaternion it sees as `label count x y z [w]`
/// (count: the keys of the table), exactly (%.17g).
private let spaceBot = """
local function put(label, t)
  local n = 0
  for _ in pairs(t) do n = n + 1 end
  local parts = { label, n }
  for _, k in ipairs({ "x", "y", "z", "w" }) do
    if t[k] ~= nil then parts[#parts + 1] = string.format("%.17g", t[k]) end
  end
  print(table.concat(parts, " "))
end
return { think = function(view, me)
  put("sun", view.match.sun)
  for _, p in ipairs(view.probe) do
    put(p.id .. ".at", p.at); put(p.id .. ".fine", p.fine); put(p.id .. ".turn", p.turn)
  end
  for _, e in ipairs(view.events) do put("ping.where", e.data.where); put("ping.spin", e.data.spin) end
  return { aim = { 0, 0.6, 0, -0.8 }, move = { x = 1, y = -0.3, z = 0.26 } }
end }
"""

@Suite struct VectorFieldTests {
    @Test func vectorsAndQuaternionsReachTheSnapshotTheBotsAndTheRules() throws {
        let fixture = try GameFixture(game: spaceGame, bot: spaceBot)
        let definition = try fixture.load()
        let schema = definition.schema
        let matchLog = LogLines(), botLog = LogLines()
        let match = try Match(game: definition, options: MatchOptions(seed: 1, log: matchLog.sink))
        let brain = try BotBrain(game: definition, seed: 1, log: botLog.sink)
        #expect(match.join(name: "one") == .joined(playerID: 1))
        brain.add(playerID: 1, name: "one")

        let sun = schema.match.fields[0].type.quantizer
        let probe = try #require(schema.kind(named: "probe"))
        #expect(probe.fields.map(\.name) == ["at", "fine", "turn"])
        #expect(probe.fields.map(\.type.bitWidth) == [9 + 7 + 8, 2 + 3 * 16, 2 + 3 * 10])
        let (at, fine, turn) = (probe.quantizers[0], probe.quantizers[1], probe.quantizers[2])
        let identity10 = turn.quantize(quaternion: 0, y: 0, z: 0, w: 1)
        let identity16 = fine.quantize(quaternion: 0, y: 0, z: 0, w: 1)

        // After init: the integers the Swift quantizer gives.
        let initial = try #require(match.snapshots.latest)
        #expect(initial.match == [sun.quantize(vector: 1.1, y: -2.2, z: 3.3)])
        func fields(_ s: Snapshot, _ id: UInt32) throws -> [Int64] {
            let e = try #require(s.entities.first { $0.id == id })
            return Array(s.fields(at: e.offset, count: 3))
        }
        #expect(try fields(initial, 1) == [at.quantize(vector: 12.3, y: 4.56, z: -0.3),
                                           fine.quantize(quaternion: 0.5, y: -0.5, z: 0.5, w: 0.5),
                                           turn.quantize(quaternion: 0, y: 0, z: 0.6, w: 0.8)])
        // Clamped, y from the array item; a string quaternion and nil ones are the identity.
        #expect(try fields(initial, 2) == [at.quantize(vector: 100, y: 3, z: 1), identity16, identity10])
        #expect(at.dequantizeVector(try fields(initial, 2)[0]) == (100, 3, 1))
        #expect(try fields(initial, 3) == [0, identity16, identity10])
        #expect(matchLog.lines.filter { $0.contains("warning") } == [
            "\(definition.chunkName): warning: probe.turn is declared quat(10) but holds a string (stored as the identity; reported once)",
        ])

        // Tick 1: the bot sees tables, decoded as the Swift reader decodes them.
        match.step()
        let first = try #require(match.snapshots.latest)
        brain.observe(first)
        let input = try #require(brain.think(playerID: 1).input)
        #expect(brain.errorCount == 0)
        var seen: [String: [Double]] = [:]
        for line in botLog.drain() {
            let parts = line.split(separator: " ")
            seen[String(parts[0])] = parts.dropFirst().map { Double($0)! }
        }
        func vector(_ v: (x: Double, y: Double, z: Double)) -> [Double] { [3, v.x, v.y, v.z] }
        func quaternion(_ q: (x: Double, y: Double, z: Double, w: Double)) -> [Double] { [4, q.x, q.y, q.z, q.w] }
        #expect(seen["sun"] == vector(sun.dequantizeVector(first.match[0])))
        #expect(seen["sun"] == [3, 1, -2.25, 3.25])
        for id: UInt32 in 1...3 {
            let values = try fields(first, id)
            #expect(seen["\(id).at"] == vector(at.dequantizeVector(values[0])))
            #expect(seen["\(id).fine"] == quaternion(fine.dequantizeQuaternion(values[1])))
            #expect(seen["\(id).turn"] == quaternion(turn.dequantizeQuaternion(values[2])))
        }
        #expect(seen["1.at"] == [3, 12.5, at.dequantizeVector(at.quantize(vector: 0, y: 4.56, z: 0)).y, -0.296875])
        let ping = try #require(schema.event(named: "ping"))
        let event = try #require(first.events.first)
        let pingValues = first.fields(at: event.offset, count: 2)
        #expect(ping.fields.map(\.name) == ["spin", "where"])
        #expect(Array(pingValues) == [try fields(first, 1)[2], ping.quantizers[1].quantize(vector: 1.1, y: -2.2, z: 3.3)])
        #expect(seen["ping.where"] == seen["sun"])
        #expect(seen["ping.spin"] == seen["1.turn"])

        // The bot's input, quantized by the bot's own Lua state.
        let aim = schema.input[0].type.quantizer, move = schema.input[1].type.quantizer
        #expect(input == [aim.quantize(quaternion: 0, y: 0.6, z: 0, w: -0.8), move.quantize(vector: 1, y: -0.3, z: 0.26)])
        #expect(move.dequantizeVector(input[1]) == (1, -0.5, 0.5))

        // Tick 2: the rules read the input as tables.
        match.submit(input: input, from: 1, sequence: 1)
        match.step()
        let second = try #require(match.snapshots.latest)
        let a = aim.dequantizeQuaternion(input[0])
        #expect(try fields(second, 1)[2] == turn.quantize(quaternion: a.x, y: a.y, z: a.z, w: a.w))
        #expect(try fields(second, 1)[0] == at.quantize(vector: 10, y: 4.5, z: 0.5))
        #expect(match.failureCount == 0)
    }
}
