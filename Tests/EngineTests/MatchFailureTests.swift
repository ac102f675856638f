import Foundation
import Testing
import TestSupport
@testable import Engine
import Lua

/// Match-level field `n` of the latest snapshot.
private func n(_ match: Match) -> Int64? { match.snapshots.latest?.match.first }

@Suite struct MatchFailureTests {
    // MARK: Failure policy

    @Test func repeatedTickErrorsEndTheMatchOnTheThirdFailure() throws {
        let source = scriptedGame(tick: "match.n = match.tick\nerror('broken rules') -- here")
        let log = LogLines()
        let (match, _) = try startMatch(source, scriptOptions(.endMatch(afterFailures: 3), log: log))
        #expect(match.step())
        #expect(match.step())
        #expect(!match.step())
        let failure = try #require(match.endingFailure)
        #expect((failure.tick, failure.callback) == (3, "tick"))
        expectAt(failure.error, marked: source, "broken rules")
        #expect(failure.error.traceback?.contains("stack traceback") == true)
        #expect(match.failures.map(\.tick) == [1, 2, 3])
        #expect(n(match) == 3)                         // the failed tick's changes are in its snapshot
        #expect(!match.step())
        #expect(match.tick == 3)
        #expect(log.lines.last == "match ended after 3 script failures")
    }

    @Test func skipTickKeepsRunningAndCountsFailures() throws {
        let source = scriptedGame(tick: "match.n = (match.n or 0) + 1\nif match.tick % 2 == 1 then error('odd') end")
        let (match, _) = try startMatch(source, scriptOptions(.skipTick))
        for _ in 1...10 { #expect(match.step()) }
        #expect(match.status.isRunning)
        #expect(match.failureCount == 5)
        #expect(match.failures.map(\.tick) == [1, 3, 5, 7, 9])
        for tick in 0...10 { #expect(match.snapshots.snapshot(tick: tick)?.match == [Int64(tick)]) }
    }

    // MARK: Limits

    @Test func runawayTickIsStoppedAndTheNextTickRuns() throws {
        let source = scriptedGame(tick: "match.n = match.tick\nif match.tick == 1 then while true do end end -- here")
        let limits = LuaLimits(timeLimit: .milliseconds(100))
        let (match, _) = try startMatch(source, scriptOptions(.skipTick, limits: limits))
        for _ in 1...3 { match.step() }
        #expect(match.failureCount == 1)
        expectAt(try #require(match.failures.first).error, marked: source, "time limit of 0.1 seconds exceeded")
        #expect(n(match) == 3)
    }

    @Test func runawayJoinRefusesThePlayer() throws {
        let source = scriptedGame(tick: "", join: "if player.name == 'loop' then while true do end end -- here\nreturn true")
        let (match, _) = try startMatch(source, scriptOptions(.endMatch(afterFailures: 3), limits: LuaLimits(timeLimit: .milliseconds(100))))
        guard case .refused(let reason) = match.join(name: "loop") else { Issue.record("loop was seated"); return }
        #expect(reason.hasPrefix("the game failed to admit the player: "))
        #expect(reason.contains("game.lua:\(line(of: "-- here", in: source)): time limit"))
        #expect(match.players.isEmpty)
        #expect(match.failures.first?.callback == "join")
        #expect(match.join(name: "ann") == .joined(playerID: 1))
        #expect(match.step())
    }

    @Test func exactInstructionLimitFailsTheSameWayEveryRun() throws {
        let source = scriptedGame(tick: "local n = 0\nwhile true do n = n + 1; match.n = n end -- here")
        let limits = LuaLimits(timeLimit: nil, instructionLimit: 50_000)
        let definition = try GameFixture(game: source).load()
        let runs = try (0..<2).map { _ in
            let match = try Match(game: definition, options: scriptOptions(limits: limits))
            _ = match.join(name: "ann")
            #expect(!match.step())
            return match
        }
        let failures = try runs.map { try #require($0.endingFailure).error }
        expectAt(failures[0], marked: source, "instruction limit of 50000 instructions exceeded")
        #expect(failures[0].location == failures[1].location)
        #expect(runs[0].stateHash == runs[1].stateHash)
        #expect(n(runs[0]) == n(runs[1]))
        #expect((n(runs[0]) ?? 0) > 1000)
    }

    @Test func memoryBombIsStoppedAndTheStateStaysUsable() throws {
        let source = scriptedGame(tick: """
            if match.tick == 1 then
              local t = {}
              while true do t[#t + 1] = {} end -- here
            end
            local big = {}
            for i = 1, 200000 do big[i] = i end
            match.n = #big + match.tick
            """)
        let limits = LuaLimits(memoryBytes: 16 << 20)
        let (match, _) = try startMatch(source, scriptOptions(.skipTick, limits: limits))
        match.step()
        let bomb = try #require(match.failures.first).error
        expectAt(bomb, marked: source, "memory limit of 16 MiB exceeded")
        #expect(match.memoryUsed <= limits.memoryBytes)
        for _ in 2...4 { match.step() }
        #expect(match.failureCount == 1)
        #expect(n(match) == 200_004)
    }

    /// A call that brushed the cap (Lua collected its garbage and went on)
    /// and then fails for another reason must report that reason.
    @Test
    func errorsAfterARecoveredAllocationKeepTheirOwnKind() throws {
        let source = scriptedGame(tick: """
            local s = string.rep('x', 6 << 20)
            s = nil
            local t = string.rep('y', 6 << 20)    -- fits once the first string is collected
            match.n = #t
            error('rules bug') -- here
            """)
        let (match, _) = try startMatch(source, scriptOptions(limits: LuaLimits(memoryBytes: 16 << 20)))
        match.step()
        #expect(n(match) == 6 << 20)
        expectAt(try #require(match.endingFailure).error, marked: source, "rules bug")
    }

    @Test func runawaysAndBombsDoNotDisturbOtherMatches() throws {
        let healthy = try GameFixture(game: movingShips).load()
        let games = [try GameFixture(game: scriptedGame(tick: "while true do end")).load(),
                     try GameFixture(game: scriptedGame(tick: "local t = {} while true do t[#t + 1] = {} end")).load()]
            + Array(repeating: healthy, count: 4)
        // Only the runaway needs a short time limit: the time limit is wall
        // time, so on a busy machine a bomb could reach 100 ms before 16 MiB,
        // or a healthy tick be descheduled that long. The others get 10 s,
        // a net that only a hang would reach.
        func options(timeLimit: Duration) -> MatchOptions {
            MatchOptions(limits: LuaLimits(memoryBytes: 16 << 20, timeLimit: timeLimit),
                         failurePolicy: .endMatch(afterFailures: 3))
        }
        let generous = options(timeLimit: .seconds(10))
        let short = options(timeLimit: .milliseconds(100))
        let reference = try Outcome(playing: healthy, generous)
        let outcomes = Outcomes(count: games.count)
        DispatchQueue.concurrentPerform(iterations: games.count) { i in
            outcomes[i] = Result { try Outcome(playing: games[i], i == 0 ? short : generous) }
        }
        let results = try outcomes.all.map { try #require($0).get() }
        #expect(results[0].failure?.contains("time limit") == true)
        #expect(results[1].failure?.contains("memory limit") == true)
        #expect(results[0].tick == 3 && results[1].tick == 3)
        for healthy in results[2...] {
            #expect(healthy.failure == nil && healthy.tick == 300)
            #expect(healthy.hash == reference.hash)
            #expect(healthy.ticks == 300 && healthy.x == 60)
        }
    }

    // MARK: Designer errors

    @Test func initErrorsFailTheMatch() throws {
        let source = scriptedGame(tick: "", initBody: "local cfg = nil\nmatch.n = cfg.n -- here")
        let fixture = try GameFixture(game: source)
        let definition = try fixture.load()
        let error = try #require(throws: GameError.self) { try Match(game: definition) }
        expectAt(error, marked: source, "game.init failed: attempt to index a nil value")
    }

    @Test func wrongTypedFieldIsStoredAsZeroAndLoggedOnce() throws {
        let log = LogLines()
        let (match, _) = try startMatch(scriptedGame(tick: "if match.tick == 1 then match:spawn('rock', { v = 'lots' }) end"), scriptOptions(log: log))
        for _ in 1...3 { #expect(match.step()) }
        let s = try #require(match.snapshots.latest)
        let rock = try #require(s.entities.first)
        #expect(s.values[Int(rock.offset)] == 0)
        #expect(match.failureCount == 0)
        let warnings = log.lines.filter { $0.contains("warning") }
        #expect(warnings.count == 1)
        #expect(warnings.first?.contains("rock.v is declared i32 but holds a string") == true)
    }

    // MARK: Determinism

    @Test func sameSeedAndInputsGiveTheSameStates() throws {
        let arena = try GameDefinition.load(folder: gamesFolder + "/arena")
        let first = try playArena(arena, seed: 7)
        #expect(try playArena(arena, seed: 7) == first)
        #expect(try playArena(arena, seed: 8) != first)
    }
}

/// The state hash after 500 ticks of arena with six players and random inputs
/// (the same inputs whatever the match seed).
private func playArena(_ arena: GameDefinition, seed: Int64) throws -> StateHash {
    let match = try Match(game: arena, options: MatchOptions(seed: seed))
    for i in 1...6 { _ = match.join(name: "p\(i)") }
    var rng = SplitMix64(seed: 99)
    for _ in 0..<500 {
        for id in 1...6 {
            match.submit(input: arena.schema.input.map { field in
                let r = field.type.range
                return r.lowerBound + Int64(rng.next() % UInt64(r.upperBound - r.lowerBound + 1))
            }, from: id)
        }
        match.step()
    }
    #expect(match.failureCount == 0 && match.tick == 500)
    return match.stateHash
}

/// What a match played on some thread came to.
private struct Outcome: Sendable {
    var tick = 0
    var failure: String?
    var hash = StateHash()
    var ticks: Int64?
    var x: Double?

    /// Plays 300 ticks of `game` with one player moving right every fifth tick.
    init(playing game: GameDefinition, _ options: MatchOptions) throws {
        let match = try Match(game: game, options: options)
        _ = match.join(name: "ann")
        for t in 1...300 {
            match.submit(input: [0, t % 5 == 0 ? 1 : 0], from: 1)
            guard match.step() else { break }
        }
        tick = match.tick
        failure = match.endingFailure?.error.message
        hash = match.stateHash
        if let s = match.snapshots.latest, let ship = game.schema.kind(named: "ship"), let e = s.entities.first {
            ticks = s.match.first
            x = ship.fields[2].type.dequantize(s.values[Int(e.offset) + 2])      // alive, name, x, y
        }
    }
}

private final class Outcomes: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [Result<Outcome, any Error>?]
    init(count: Int) { items = Array(repeating: nil, count: count) }
    subscript(i: Int) -> Result<Outcome, any Error>? {
        get { lock.withLock { items[i] } }
        set { lock.withLock { items[i] = newValue } }
    }
    var all: [Result<Outcome, any Error>?] { lock.withLock { items } }
}
