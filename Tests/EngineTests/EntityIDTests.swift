import Foundation
import Testing
import TestSupport
@testable import Engine
import Lua

/// Entity ids and kinds belong to the engine: whatever the rules write to
/// `e.id` or `e.kind`, every snapshot stays one the encoder can send, the
/// engine's values come back, and the match records a script failure that
/// names the game callback. (Before, `e.id = 0` trapped in the encoder.)
@Suite struct EntityIDTests {
    /// Two kinds; `game.tick` runs `body` at tick 2 only, after spawning two
    /// gems and a rock at init (ids 1, 2: gems; 3: rock).
    static func game(atTick2 body: String, every: String = "") -> String {
        """
        local game = { name = "ids", tick_rate = 30, max_players = 4 }
        game.state = {
          match = { n = "u32" },
          gem = { v = "i32", x = { "fixed", -10, 10, 0.5 } },
          rock = { v = "i32" },
        }
        game.events = { note = { v = "i32" } }
        local a, b, r
        function game.init(match, params)
          a = match:spawn("gem", { v = 1 })
          b = match:spawn("gem", { v = 2 })
          r = match:spawn("rock", { v = 3 })
        end
        function game.tick(match, inputs, dt)
          match.n = match.tick
          \(every)
          if match.tick == 2 then
            \(body)
          end
        end
        return game
        """
    }

    /// Steps the match `ticks` times, feeding every frame to a client mirror
    /// as a headless observer does: each snapshot must encode, decode and
    /// equal what the engine holds, with valid, sorted, unique ids.
    static func playAndMirror(_ match: Match, ticks: Int, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let mirror = ClientMirror(schema: match.schema)
        for i in 0...ticks {
            if i > 0 { match.step() }
            let snapshot = try #require(match.snapshots.latest, sourceLocation: sourceLocation)
            let ids = snapshot.entities.map(\.id)
            #expect(ids.allSatisfy { $0 >= 1 } && zip(ids, ids.dropFirst()).allSatisfy { $0 < $1 }, "\(ids)",
                    sourceLocation: sourceLocation)
            let frame = match.frame(baseline: mirror.state?.tick, audience: .everyone)
            let decoded = try mirror.apply(frame)
            #expect(decoded.hasSameState(as: snapshot, schema: match.schema), sourceLocation: sourceLocation)
            let full = try SnapshotMessage.decode(SnapshotMessage.encode(from: nil, to: snapshot, audience: .everyone, coding: match.coding),
                                                  baseline: nil, coding: match.coding)
            #expect(full.snapshot.hasSameState(as: snapshot, schema: match.schema), sourceLocation: sourceLocation)
        }
    }

    static func tickLine(_ source: String) -> String { "game.lua:\(line(of: "function game.tick", in: source))" }

    @Test(arguments: [
        ("a.id = 0", "gem entity 1: its id was changed to 0;"),
        ("b.id = a.id", "gem entity 2: its id was changed to 1;"),
        ("r.id = a.id", "rock entity 3: its id was changed to 1;"),
        ("a.id = 2^32", "gem entity 1: its id was changed to 4294967296.0;"),
        ("a.id = 4294967296", "gem entity 1: its id was changed to 4294967296;"),
        ("a.id = -5", "gem entity 1: its id was changed to -5;"),
        ("a.id = 1.5", "gem entity 1: its id was changed to 1.5;"),
        ("a.id = '1'", "gem entity 1: its id was changed to \"1\";"),
        ("a.id = nil", "gem entity 1: its id was changed to nil;"),
        ("a.id = {}", "gem entity 1: its id was changed to a table;"),
        ("a.id, b.id = b.id, a.id", "gem entity 1: its id was changed to 2;"),
        ("r.id = 99", "rock entity 3: its id was changed to 99;"),
        ("a.kind = 'rock'", "gem entity 1: its kind was changed to \"rock\"; entity kinds belong to the engine"),
        ("a.kind = nil", "gem entity 1: its kind was changed to nil;"),
    ])
    func changedIDsAreRestoredAsAScriptFailure(change: String, words: String) throws {
        let source = Self.game(atTick2: change)
        let log = LogLines()
        let (match, _) = try startMatch(source, scriptOptions(.skipTick, log: log))
        try Self.playAndMirror(match, ticks: 4)
        #expect(match.status.isRunning)
        #expect(match.failureCount == 1)
        let failure = try #require(match.failures.first)
        #expect((failure.tick, failure.callback) == (2, "tick"))
        #expect(failure.error.message.contains(words), "\(failure.error.message)")
        #expect(failure.error.location?.hasSuffix(Self.tickLine(source)) == true, "\(failure.error.location ?? "nil")")
        if change.contains(".id") {
            #expect(failure.error.message.contains("entity ids belong to the engine and are read-only"))
        }
        // The engine's ids and kinds are back, in the snapshot and in Lua.
        let latest = try #require(match.snapshots.latest)
        #expect(latest.entities.map(\.id) == [1, 2, 3])
        #expect(latest.entities.map(\.kind) == [0, 0, 1])
        #expect(log.lines.contains { $0.contains(words) })
    }

    @Test func theDefaultPolicyEndsTheMatchAndTheLastSnapshotIsValid() throws {
        let source = Self.game(atTick2: "a.id = 0")
        let (match, _) = try startMatch(source, scriptOptions(.endMatch(afterFailures: 1)))
        try Self.playAndMirror(match, ticks: 3)
        let failure = try #require(match.endingFailure)
        #expect(failure.error.summary.contains(Self.tickLine(source) + ": gem entity 1: its id was changed to 0"))
        #expect(match.snapshots.latest?.entities.map(\.id) == [1, 2, 3])
    }

    @Test func despawnSpawnAndEachKeepWorkingAfterIDsAndKindsChange() throws {
        // Tick 2 breaks a's id and b's kind; tick 3 despawns both through the
        // prelude (which must find them by the engine's id and kind) and spawns.
        let source = Self.game(atTick2: "a.id = 7; b.kind = 'rock'", every: """
          if match.tick == 3 then
            match:despawn(a); match:despawn(b)
            local c = match:spawn("gem", { v = 4 })
            local seen = {}
            for e in match:each("gem") do seen[#seen + 1] = e.id end
            match.n = #seen * 100 + seen[1]
          end
        """)
        let (match, _) = try startMatch(source, scriptOptions(.skipTick))
        try Self.playAndMirror(match, ticks: 4)
        #expect(match.failureCount == 1)
        let at3 = try #require(match.snapshots.snapshot(tick: 3))
        #expect(at3.entities.map(\.id) == [3, 4])
        #expect(at3.match == [104])
    }

    @Test func aPooledTableWithAForgedIDAndKindIsRespawnedCleanly() throws {
        // spawn overwrites id and kind; the prelude found the old slot by its own record.
        let source = Self.game(atTick2: "match:despawn(a); a.id = 3; a.kind = 'rock'; match:spawn('rock', a)")
        let (match, _) = try startMatch(source, scriptOptions(.endMatch(afterFailures: 1)))
        try Self.playAndMirror(match, ticks: 3)
        #expect(match.failureCount == 0)
        #expect(match.snapshots.latest?.entities.map(\.id) == [2, 3, 4])
        #expect(match.snapshots.latest?.entities.map(\.kind) == [0, 1, 1])
    }

    @Test func aChangeInJoinIsNamedWithTheTick() throws {
        let source = """
        local game = { name = "ids", max_players = 4 }
        game.state = { gem = { v = "i32" } }
        local g
        function game.init(match, params)
          g = match:spawn("gem", {})
        end
        function game.join(match, player)
          g.id = -1
          return true
        end
        function game.tick(match, inputs, dt) end
        return game
        """
        let (match, _) = try startMatch(source, scriptOptions(.skipTick))
        #expect(match.join(name: "p") == .joined(playerID: 1))
        try Self.playAndMirror(match, ticks: 2)
        let failure = try #require(match.failures.first)
        // Found after the tick that followed the join: both are named, the tick's line is the location.
        #expect(failure.callback == "tick")
        #expect(failure.error.location?.hasSuffix(Self.tickLine(source)) == true)
        #expect(failure.error.message.contains("gem entity 1: its id was changed to -1"))
        #expect(failure.error.message.hasSuffix("changed during one of game.join, game.tick"), "\(failure.error.message)")
    }

    @Test func aChangeInInitNamesGameInit() throws {
        let source = Self.game(atTick2: "").replacingOccurrences(of: "r = match:spawn(\"rock\", { v = 3 })",
                                                                 with: "r = match:spawn(\"rock\", { v = 3 }); r.id = 0")
        let (match, _) = try startMatch(source, scriptOptions(.skipTick))
        try Self.playAndMirror(match, ticks: 1)
        let failure = try #require(match.failures.first)
        #expect((failure.tick, failure.callback) == (0, "init"))
        #expect(failure.error.location?.hasSuffix("game.lua:\(line(of: "function game.init", in: source))") == true)
        #expect(failure.error.message.contains("rock entity 3: its id was changed to 0"))
    }

    @Test func manyBrokenEntitiesAreOneFailurePerSnapshot() throws {
        let source = Self.game(atTick2: "a.id = 0; b.id = 0; r.id = 0")
        let (match, _) = try startMatch(source, scriptOptions(.skipTick))
        try Self.playAndMirror(match, ticks: 3)
        #expect(match.failureCount == 1)
        #expect(match.failures.first?.error.message.hasSuffix("(and 2 more entities)") == true)
    }

    // MARK: Events

    @Test(arguments: [
        "match.players[300] = { id = 300 }; match:send(300, 'note', { v = 1 }) -- here",
        "match.players[-1] = { id = -1 }; match:send(-1, 'note', { v = 1 }) -- here",
        "match.players[1.5] = { id = 1.5 }; match:send(1.5, 'note', { v = 1 }) -- here",
        "match:send({ id = 2^40 }, 'note', { v = 1 }) -- here",
    ])
    func privateEventsGoOnlyToSeatedPlayers(call: String) throws {
        let source = Self.game(atTick2: call)
        let (match, _) = try startMatch(source, scriptOptions(.skipTick))
        try Self.playAndMirror(match, ticks: 3)
        let failure = try #require(match.failures.first)
        expectAt(failure.error, marked: source, "send: not a player of this match")
    }

    @Test func aPlayerTheRulesRemovedFromMatchPlayersStillLeavesAndGetsEvents() throws {
        let source = Self.game(atTick2: "match.players = nil", every: "if match.tick == 3 then match:send(1, 'note', { v = 5 }) end")
        let (match, _) = try startMatch(source, scriptOptions(.endMatch(afterFailures: 1)))
        #expect(match.join(name: "p") == .joined(playerID: 1))
        try Self.playAndMirror(match, ticks: 4)
        #expect(match.status.isRunning)
        #expect(match.snapshots.snapshot(tick: 3)?.events.map(\.to) == [1])
        match.leave(playerID: 1)
        #expect(match.failureCount == 0)
    }

    @Test func moreEventsThanAMessageCarriesIsAnErrorAtTheCall() throws {
        let source = Self.game(atTick2: "for i = 1, 5000 do match:broadcast('note', { v = i }) end -- here")
        let (match, _) = try startMatch(source, scriptOptions(.skipTick))
        try Self.playAndMirror(match, ticks: 3)
        let failure = try #require(match.failures.first)
        expectAt(failure.error, marked: source, "too many events: at most \(SnapshotMessage.maxEvents)")
        #expect(match.snapshots.snapshot(tick: 2)?.events.count == SnapshotMessage.maxEvents)
    }

    // MARK: Values a field cannot hold

    @Test(arguments: [
        ("a.x = 0/0", "gem.x is declared fixed(-10.0, 10.0, 0.5) but holds a number it cannot hold (NaN or infinite) (stored as min; reported once)"),
        ("a.x = math.huge", "(stored as max; reported once)"),
        ("a.v = 0/0", "gem.v is declared i32 but holds a number it cannot hold (NaN or infinite) (stored as 0; reported once)"),
    ])
    func nonFiniteNumbersAreWarnedOncePerField(change: String, words: String) throws {
        let source = Self.game(atTick2: change, every: "if match.tick > 2 then \(change) end")
        let log = LogLines()
        let (match, _) = try startMatch(source, scriptOptions(.skipTick, log: log))
        try Self.playAndMirror(match, ticks: 4)
        #expect(match.failureCount == 0)
        #expect(log.lines.filter { $0.contains(words) }.count == 1, "\(log.lines)")
    }
}
