import Testing
import TestSupport
@testable import Engine
import Lua

@Suite struct MatchTests {
    @Test func playersJoinMoveAndLeave() throws {
        let fixture = try GameFixture(game: movingShips)
        let match = try Match(game: fixture.load())
        #expect(match.join(name: "ann") == .joined(playerID: 1))
        #expect(match.join(name: "nobody") == .refused(reason: "no nobodies"))
        #expect(match.join(name: "bob") == .joined(playerID: 2))
        match.submit(input: [1, 3], from: 1)     // boost = true, dx = 3 (fields sorted: boost, dx)
        match.submit(input: [0, -2], from: 2)
        match.step()
        let s = try #require(match.snapshots.latest)
        #expect(s.tick == 1)
        #expect(s.match == [1])
        #expect(s.entities.map(\.id) == [1, 2])
        let ship = try #require(match.schema.kind(named: "ship"))
        #expect(ship.fields.map(\.name) == ["alive", "name", "x", "y"])
        let ann = s.fields(at: s.entities[0].offset, count: 4)
        #expect(ann[ann.startIndex] == 1)
        #expect(s.strings[Int(ann[ann.startIndex + 1])] == Array("ann".utf8))
        #expect(ship.fields[2].type.dequantize(ann[ann.startIndex + 2]) == 6)
        #expect(s.events.count == 2)
        match.leave(playerID: 1)
        match.step()
        #expect(match.snapshots.latest?.entities.map(\.id) == [2])
        #expect(match.join(name: "cid") == .joined(playerID: 1))
    }

    @Test func matchIsFullAtMaxPlayers() throws {
        let fixture = try GameFixture(game: movingShips)
        let match = try Match(game: fixture.load())
        for i in 1...4 { #expect(match.join(name: "p\(i)") == .joined(playerID: i)) }
        #expect(match.join(name: "p5") == .refused(reason: "the match is full (4 players)"))
    }

    @Test func inputQueueOverflowIsCountedAndBounded() throws {
        let fixture = try GameFixture(game: movingShips)
        let match = try Match(game: fixture.load(), options: MatchOptions(inputQueueCapacity: 4))
        _ = match.join(name: "ann")
        for _ in 0..<100 { match.submit(input: [0, 1], from: 1) }
        #expect(match.droppedInputs == 96)
        for _ in 0..<4 { match.step() }
        let s = try #require(match.snapshots.latest)
        let x = s.fields(at: s.entities[0].offset, count: 4)[2]
        #expect(match.schema.kinds[1].fields[2].type.dequantize(x) == 4)
    }

    @Test func arenaPlaysWithRandomInputs() throws {
        let game = try GameDefinition.load(folder: gamesFolder + "/arena")
        let match = try Match(game: game, options: MatchOptions(seed: 3))
        for i in 1...8 { #expect(match.join(name: "p\(i)") == .joined(playerID: i)) }
        var rng = SplitMix64(seed: 9)
        for _ in 0..<600 {
            for id in 1...8 {
                let input = game.schema.input.map { field -> Int64 in
                    Int64(rng.next() % UInt64(field.type.range.upperBound - field.type.range.lowerBound + 1)) + field.type.range.lowerBound
                }
                match.submit(input: input, from: id)
            }
            match.step()
        }
        #expect(match.failureCount == 0)
        #expect(match.snapshots.latest?.entities.isEmpty == false)
    }
}

@Suite struct EntityReferenceTests {
    /// A reference may hold the entity table or its id; anything else is a
    /// wrong-typed value, stored as "no entity" and logged once.
    @Test func referencesAcceptTablesAndIds() throws {
        let log = LogLines()
        let fixture = try GameFixture(game: """
            local game = { tick_rate = 10, max_players = 1 }
            game.state = { ship = { hp = "u8" }, mark = { at = { "entity", "ship" } } }
            function game.init(match)
              local s = match:spawn("ship", { hp = 1 })
              match:spawn("mark", { at = s })
              match:spawn("mark", { at = s.id })
              match:spawn("mark", { at = 2.5 })
              match:spawn("mark", { at = false })
            end
            function game.tick(match, inputs, dt) end
            return game
            """)
        let match = try Match(game: fixture.load(), options: MatchOptions(log: log.sink))
        let s = try #require(match.snapshots.latest)
        let marks = s.entities.filter { $0.kind == 0 }
        #expect(marks.map { s.fields(at: $0.offset, count: 1).first! } == [1, 1, 0, 0])
        #expect(log.lines.count == 1)
        #expect(log.lines.first?.contains("mark.at is declared entity(ship) but holds a number") == true)
    }
}
