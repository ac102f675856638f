import Testing
import TestSupport
@testable import Engine
import Lua

/// The `match` object designers program against: entity bookkeeping and the
/// errors it raises, which must point at the designer's line, not the prelude's.
@Suite struct MatchPreludeTests {
    // MARK: Entities

    @Test func eachWalksInIdOrderAndSeesDespawnsButNotSpawns() throws {
        let log = LogLines()
        let (match, _) = try startMatch(scriptedGame(tick: """
            local seen = {}
            if match.tick == 1 then
              for i = 1, 6 do match:spawn(i % 2 == 1 and 'rock' or 'gem', { v = i }) end
              for r in match:each('rock') do
                seen[#seen + 1] = r.id
                if r.id == 1 then match:despawn(match:entity(5)); match:spawn('rock', { v = 7 }) end
              end
              print('walk', table.concat(seen, ','))
              print('count', match:count('rock'), match:count('gem'), match:count(), match:entity(5) == nil, match:entity(7).v)
            else
              for r in match:each('rock') do
                seen[#seen + 1] = r.id
                if r.id == 1 then match:despawn(r) end
              end
              print('walk', table.concat(seen, ','))
            end
            """), scriptOptions(log: log))
        match.step()
        #expect(log.lines == ["walk\t1,3", "count\t3\t3\t6\ttrue\t7"])
        let first = try #require(match.snapshots.latest)
        #expect(first.entities.map(\.id) == [1, 2, 3, 4, 6, 7])
        #expect(first.entities.map(\.kind) == [1, 0, 1, 0, 0, 1])        // kinds sorted: gem, rock
        #expect(first.entities.map { first.values[Int($0.offset)] } == [1, 2, 3, 4, 6, 7])
        match.step()
        #expect(log.lines.last == "walk\t1,3,7")
        #expect(match.snapshots.latest?.entities.map(\.id) == [2, 3, 4, 6, 7])
        #expect(match.failureCount == 0)
    }

    @Test func idsAreNeverReused() throws {
        let log = LogLines()
        let (match, _) = try startMatch(scriptedGame(tick: """
            local r = match:spawn('rock')
            match:despawn(r)
            print(r.id, match:count('rock'))
            """), scriptOptions(log: log))
        for _ in 1...3 { match.step() }
        #expect(log.lines == ["1\t0", "2\t0", "3\t0"])
        #expect(match.snapshots.latest?.entities.isEmpty == true)
    }

    /// Pooling: a despawned table spawned again is one entity, under its new id and kind.
    @Test
    func respawningADespawnedTableMakesOneEntity() throws {
        let log = LogLines()
        let (match, _) = try startMatch(scriptedGame(tick: """
            if match.tick == 1 then pooled = match:spawn('rock', { v = 1 }) return end
            match:despawn(pooled)
            match:spawn(match.tick == 2 and 'rock' or 'gem', pooled)
            local n = 0
            for r in match:each('rock') do n = n + 1 end
            print(n, match:count('rock'), match:count('gem'), match:count())
            """), scriptOptions(log: log))
        for _ in 1...3 { match.step() }
        #expect(log.lines == ["1\t1\t0\t1", "0\t0\t1\t1"])
        #expect(match.snapshots.latest?.entities.map(\.id) == [3])
    }

    // MARK: Designer errors

    @Test(arguments: [
        ("match:spawn('nope')", "unknown entity kind 'nope'"),
        ("match:spawn('rock', 5)", "spawn: fields must be a table, got number"),
        ("local r = match:spawn('rock') match:spawn('gem', r)", "already a live entity"),
        ("match:despawn({})", "despawn: not a live entity"),
        ("for r in match:each('nope') do end", "unknown entity kind 'nope'"),
        ("match:count('nope')", "unknown entity kind 'nope'"),
        ("match:broadcast('undeclared')", "unknown event 'undeclared'"),
        ("match:broadcast('note', 5)", "event data must be a table"),
        ("match:send(3, 'note', {})", "send: not a player"),
    ])
    func apiErrorsNameTheDesignersLine(call: String, words: String) throws {
        let source = scriptedGame(tick: "local before = 1\n\(call) -- here")
        let (match, _) = try startMatch(source, scriptOptions())
        match.step()
        expectAt(try #require(match.endingFailure).error, marked: source, words)
    }

    @Test func entityLimitIsClear() throws {
        let source = scriptedGame(tick: """
            for i = 1, 10 do match:spawn('rock') end
            match:despawn(match:entity(1))
            match:spawn('gem')
            match:spawn('gem') -- here
            """)
        let (match, _) = try startMatch(source, scriptOptions(maxEntities: 10))
        match.step()
        expectAt(try #require(match.endingFailure).error, marked: source, "spawn: entity limit of 10 reached")
        #expect(match.snapshots.latest?.entities.map(\.id) == Array(2...11))
    }
}
