import Foundation
import Testing
import TestSupport
@testable import Engine

/// A game with every field type: a rock spawned at init, a ship per player
/// that moves by its input, a kind that never has entities.
private let dockGame = """
local game = { name = "dock", tick_rate = 10, max_players = 4 }
game.state = {
  match = { round = "u8", title = { "string", 16 } },
  ship = { x = { "fixed", -100, 100, 0.5 }, name = { "string", 8 }, alive = "bool", heading = { "angle", 8 },
           at = { "vec3", -8, 8, 0.25 }, turn = "quat", power = "f32", target = { "entity", "rock" } },
  rock = { size = "u8" },
  beacon = { label = "string" },
}
game.input = { dx = "i8" }
game.events = { moved = { who = "entity", by = "i8" } }
local ships, rock = {}, nil
function game.init(match, params)
  match.title = 'say "hi"\\n\\tbye'
  rock = match:spawn("rock", { size = 7 })
end
function game.join(match, player)
  ships[player.id] = match:spawn("ship", { x = 0, name = player.name, alive = true, heading = math.pi,
    at = { x = 1, y = -2.3, z = 9 }, turn = { x = 0, y = 0, z = 0.6, w = 0.8 }, power = 0.1, target = rock })
  return true
end
function game.tick(match, inputs, dt)
  match.round = match.tick
  for id, input in pairs(inputs) do
    local s = ships[id]
    s.x = s.x + input.dx * 1.5
    if input.dx < 0 then s.alive = false; s.target = nil; s.power = math.huge end
    match:broadcast("moved", { who = s, by = input.dx })
  end
end
function game.result(match)
  if match.round >= 3 then return { winner = "ann" } end
end
return game
"""

/// `dockGame` after two ticks with ann (player 1) and bob (player 2) seated.
private func dockAfterTwoTicks() throws -> (Match, GameFixture) {
    let (match, fixture) = try startMatch(dockGame)
    #expect(match.join(name: "ann") == .joined(playerID: 1))
    #expect(match.join(name: "bob") == .joined(playerID: 2))
    for _ in 0..<2 {
        match.submit(input: [3], from: 1)
        match.submit(input: [-2], from: 2)
        match.step()
    }
    return (match, fixture)
}

private func parse(_ json: String) throws -> [String: Any] {
    try #require(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
}

@Suite struct MatchStateTests {
    @Test func jsonHoldsTheDecodedStateAClientSees() throws {
        let (match, _) = try dockAfterTwoTicks()
        let object = try parse(MatchState(match).json)

        #expect(object["tick"] as? Int == 2)
        #expect(object["hash"] as? String == match.stateHash.description)
        #expect((object["hash"] as? String)?.count == 16)
        #expect(object["status"] as? String == "running")
        #expect(object["detail"] == nil)
        let matchFields = try #require(object["match"] as? [String: Any])
        #expect(matchFields["round"] as? Int == 2)
        #expect(matchFields["title"] as? String == "say \"hi\"\n\tbye")
        let players = try #require(object["players"] as? [[String: Any]])
        #expect(players.map { $0["id"] as? Int } == [1, 2])
        #expect(players.map { $0["name"] as? String } == ["ann", "bob"])

        let entities = try #require(object["entities"] as? [String: Any])
        #expect(Set(entities.keys) == ["beacon", "rock", "ship"])
        #expect((entities["beacon"] as? [Any])?.isEmpty == true)
        let rocks = try #require(entities["rock"] as? [[String: Any]])
        #expect(rocks.count == 1)
        #expect(rocks[0]["id"] as? Int == 1)
        #expect(rocks[0]["size"] as? Int == 7)
        let ships = try #require(entities["ship"] as? [[String: Any]])
        #expect(ships.map { $0["id"] as? Int } == [2, 3])
        let ann = ships[0], bob = ships[1]
        #expect(ann["name"] as? String == "ann")
        #expect(ann["x"] as? Double == 9)                       // 2 × 3 × 1.5
        #expect(bob["x"] as? Double == -6)
        #expect(ann["alive"] as? Bool == true)
        #expect(bob["alive"] as? Bool == false)
        #expect(ann["target"] as? Int == 1)                     // the rock
        #expect(bob["target"] as? Int == 0)                     // none
        #expect(ann["heading"] as? Double == Double.pi)         // 128 of 256 steps
        // What single precision keeps (the exact digits are checked in the
        // next test: Foundation's parser on Linux is off in the last place).
        #expect(abs(try #require(ann["power"] as? Double) - Double(Float(0.1))) < 1e-15)
        #expect(bob["power"] is NSNull)                         // an infinity: JSON has none
        let at = try #require(ann["at"] as? [String: Double])
        #expect(at == ["x": 1, "y": -2.25, "z": 8])             // rounded to 0.25, clamped to 8
        let turn = try #require(ann["turn"] as? [String: Double])
        #expect(Set(turn.keys) == ["x", "y", "z", "w"])
        #expect(abs(turn["z"]! - 0.6) < 0.01 && abs(turn["w"]! - 0.8) < 0.01)

        let events = try #require(object["events"] as? [[String: Any]])
        #expect(events.map { $0["name"] as? String } == ["moved", "moved"])
        #expect(events.map { $0["to"] as? Int } == [0, 0])
        #expect(events.map { ($0["fields"] as? [String: Any])?["by"] as? Int } == [3, -2])
    }

    @Test func jsonListsKindsAndFieldsInSchemaOrderEntitiesByID() throws {
        let (match, _) = try dockAfterTwoTicks()
        let json = MatchState(match).json
        #expect(json.hasPrefix(#"{"tick":2,"hash":"\#(match.stateHash)","status":"running","match":{"round":2,"title":"say \"hi\"\n\tbye"},"players":[{"id":1,"name":"ann"},{"id":2,"name":"bob"}],"entities":{"beacon":[],"rock":[{"id":1,"size":7}],"ship":[{"id":2,"alive":true,"at":{"x":1,"y":-2.25,"z":8},"heading":3.141592653589793,"name":"ann","power":0.10000000149011612,"target":1,"turn":{"x":"#))
        #expect(json.contains(#""x":9},{"id":3,"alive":false,"#))
        #expect(json.hasSuffix(#""events":[{"name":"moved","to":0,"fields":{"by":3,"who":2}},{"name":"moved","to":0,"fields":{"by":-2,"who":3}}]}"#))
        #expect(!json.contains("\n"))
    }

    @Test func theSameRunPrintsTheSameText() throws {
        let (first, _) = try dockAfterTwoTicks()
        let (second, _) = try dockAfterTwoTicks()
        #expect(MatchState(first).json == MatchState(second).json)
    }

    @Test func aStateRightAfterInitHasNoPlayersYet() throws {
        let (match, _) = try startMatch(dockGame)
        let state = MatchState(match)
        #expect(state.tick == 0)
        #expect(state.players.isEmpty)
        #expect(state.kinds.map(\.name) == ["beacon", "rock", "ship"])
        #expect(state.kind(named: "rock")?.entity(id: 1)?.fields["size"] == .number(7))
        #expect(state.match["title"] == .string("say \"hi\"\n\tbye"))
        let object = try parse(state.json)
        #expect((object["entities"] as? [String: Any])?["ship"] as? [Any] != nil)
    }

    @Test func aFinishedMatchSaysHowItEnded() throws {
        let (match, _) = try dockAfterTwoTicks()
        match.step()
        let object = try parse(MatchState(match).json)
        #expect(object["status"] as? String == "finished")
        #expect(object["detail"] as? String == #"{ winner = "ann" }"#)
    }

    @Test func stringsWithControlCharactersAndUnicodeStayValidJSON() throws {
        let (match, _) = try startMatch("""
            local game = { tick_rate = 10, max_players = 1 }
            game.state = { match = { text = { "string", 64 } }, note = { s = { "string", 64 } } }
            function game.init(match)
              match.text = "nul\\0bell\\7 del\\127 back\\\\slash é 😀 \\u{2028}"
              match:spawn("note", { s = "\\xff\\xfe bad utf-8" })
            end
            function game.tick(match, inputs, dt) end
            return game
            """)
        let object = try parse(MatchState(match).json)
        #expect((object["match"] as? [String: Any])?["text"] as? String == "nul\0bell\u{7} del\u{7F} back\\slash é 😀 \u{2028}")
        let notes = (object["entities"] as? [String: Any])?["note"] as? [[String: Any]]
        #expect(notes?.first?["s"] as? String == "\u{FFFD}\u{FFFD} bad utf-8")   // as a client decodes it
    }
}
