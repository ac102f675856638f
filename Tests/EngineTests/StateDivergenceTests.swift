import Testing
import TestSupport
@testable import Engine

/// Ships that drift by `SPEED` times their input. The other parameters add
/// declarations and Lua to the rules, as a change to a game would.
private func driftGame(speed: String = "1.5", matchFields: String = "", shipFields: String = "", kinds: String = "",
                       initBody: String = "", tickBody: String = "") -> String {
    """
    local SPEED = \(speed)
    local game = { name = "drift", tick_rate = 10, max_players = 4 }
    game.state = {
      match = { phase = "u8", \(matchFields) },
      ship = { x = { "fixed", -100, 100, 0.25 }, name = { "string", 8 }, \(shipFields) },
      \(kinds)
    }
    game.input = { dx = "i8" }
    game.events = { moved = { by = "i8" } }
    local ships = {}
    function game.init(match, params)
    \(initBody)
    end
    function game.join(match, player)
      ships[player.id] = match:spawn("ship", { x = 0, name = player.name })
      return true
    end
    function game.tick(match, inputs, dt)
      match.phase = match.tick // 2
      for id, input in pairs(inputs) do
        ships[id].x = ships[id].x + input.dx * SPEED
        match:broadcast("moved", { by = input.dx })
      end
    \(tickBody)
    end
    return game
    """
}

/// The state of `source` after `ticks` ticks, each player sending dx = 1.
private func state(of source: String, players: [String] = ["ann"], ticks: Int = 3) throws -> MatchState {
    let (match, _) = try startMatch(source)
    for name in players { _ = match.join(name: name) }
    for _ in 0..<ticks {
        for id in 1...players.count { match.submit(input: [1], from: id) }
        match.step()
    }
    return MatchState(match)
}

@Suite struct StateDivergenceTests {
    @Test func theSameRulesAndInputsDoNotDiverge() throws {
        let divergence = StateDivergence(recorded: try state(of: driftGame()), replayed: try state(of: driftGame()))
        #expect(divergence.isEmpty)
        #expect(divergence.differences.isEmpty)
        #expect(divergence.description == "tick 3: no differences")
    }

    @Test func aChangedConstantNamesTheEntityFieldAndBothValues() throws {
        let divergence = StateDivergence(recorded: try state(of: driftGame(speed: "1.5")),
                                         replayed: try state(of: driftGame(speed: "1.75")))
        #expect(divergence.differences == [
            .entityField(kind: "ship", id: 1, field: "x", was: .number(4.5), now: .number(5.25)),
        ])
        #expect(divergence.total == 1)
        #expect(divergence.description == """
            tick 3: 1 difference
              ship 1: x was 4.5, now 5.25
            """)
    }

    @Test func matchFieldsEventsPlayersAndTicksAreCompared() throws {
        let recorded = try state(of: driftGame(), players: ["ann", "bob"], ticks: 2)
        let replayed = try state(of: driftGame(tickBody: "if match.tick == 3 then match.phase = 7 end"),
                                 players: ["ann", "cy", "dee"], ticks: 3)
        let lines = StateDivergence(recorded: recorded, replayed: replayed).differences.map(\.description)
        #expect(lines == [
            "tick was 2, now 3",
            #"player 2 was "bob", now "cy""#,
            #"player 3 ("dee") is seated only in the replay"#,
            "match.phase was 1, now 7",
            "ship 1: x was 3, now 4.5",
            #"ship 2: name was "bob", now "cy""#,
            "ship 2: x was 3, now 4.5",
            "ship 3 exists only in the replay",
            "event 3 (moved to everyone {by = 1}) was emitted only in the replay",
        ])
    }

    @Test func entitiesOnOneSideAndChangedDeclarationsAreNamedOnce() throws {
        let recorded = try state(of: driftGame(kinds: #"bullet = { vx = "i8" }, rock = { size = "u8" },"#,
                                               initBody: #"match:spawn("rock", { size = 3 })"#,
                                               tickBody: #"if match.tick == 2 then match:spawn("bullet", { vx = 4 }) end"#))
        let replayed = try state(of: driftGame(matchFields: #"mood = "u8","#, shipFields: #"shield = "u8","#,
                                               kinds: #"bullet = { vx = "i8" }, gem = { v = "u8" },"#,
                                               initBody: #"match:spawn("gem", { v = 1 })"#))
        let divergence = StateDivergence(recorded: recorded, replayed: replayed)
        // Recording: rock 1, ship 2, bullet 3. Replay: gem 1, ship 2.
        #expect(divergence.differences.map(\.description) == [
            "match.mood is declared only in the replay",
            "bullet 3 exists only in the recording",
            "kind rock is declared only in the recording (1 entity)",
            "ship.shield is declared only in the replay",
            "kind gem is declared only in the replay (1 entity)",
        ])
        #expect(divergence.differences[1] == .entityOnly(in: .recording, kind: "bullet", id: 3))
    }

    @Test func theListIsCappedAndCountsTheRest() throws {
        let rocks = "for i = 1, 30 do match:spawn(\"rock\", { size = SPEED * 2 }) end"
        let recorded = try state(of: driftGame(speed: "1", kinds: #"rock = { size = "u8" },"#, initBody: rocks))
        let replayed = try state(of: driftGame(speed: "2", kinds: #"rock = { size = "u8" },"#, initBody: rocks))
        let divergence = StateDivergence(recorded: recorded, replayed: replayed, limit: 20)
        #expect(divergence.total == 31)                         // 30 rocks and the ship
        #expect(divergence.differences.count == 20)
        #expect(divergence.differences.first?.description == "rock 1: size was 2, now 4")
        #expect(divergence.description.hasSuffix("\n  … and 11 more"))
        #expect(divergence.description.hasPrefix("tick 3: 31 differences\n"))
    }

    @Test func aFinishedMatchAgainstARunningOneNamesTheStatus() throws {
        let ending = driftGame(tickBody: "end\nfunction game.result(match) if match.tick >= 3 then return 'done' end")
        let divergence = StateDivergence(recorded: try state(of: ending), replayed: try state(of: driftGame()))
        #expect(divergence.differences.map(\.description) == [#"status was finished: "done", now running"#])
    }
}
