import Foundation
import Synchronization
import Testing
import TestSupport
import Bots
import Engine
import Lua

private func arena() throws -> GameDefinition { try GameDefinition.load(folder: gamesFolder + "/arena") }

/// 4 arena matches of 8 bots, 600 ticks each: short of a finish, long enough
/// for ships to fight, die and respawn.
private func arenaRun(seed: Int64, workers: Int) throws -> HeadlessRun {
    var run = HeadlessRun(game: try arena(), matches: 4, players: 8, ticks: 600, seed: seed)
    run.workers = workers
    return run
}

/// Counts what a run reports from its worker threads.
private final class ProgressCount: RunProgress {
    let ticks = Atomic<Int>(0)
    let finished = Mutex<[Int]>([])
    func tick() { ticks.add(1, ordering: .relaxed) }
    func finished(_ report: HeadlessMatchReport) { finished.withLock { $0.append(report.index) } }
}

/// A game whose tick fails (line marked `-- here`) in matches where the first
/// draw of `match:random()` is below one half, so a seed decides which fail.
private let sometimesBroken = """
local game = { name = "flaky", tick_rate = 30, max_players = 4 }
game.state = { match = { n = "u16" } }
game.input = { dx = "i8" }
local broken
function game.init(match, params) broken = match:random() < 0.5 end
function game.tick(match, inputs, dt)
  match.n = match.tick
  if broken and match.tick == 3 then error("flaky rules") end -- here
end
return game
"""

@Suite struct HeadlessRunTests {
    // MARK: Determinism

    @Test func sameSeedSameHashesOnAnyNumberOfWorkers() throws {
        let progress = ProgressCount()
        let first = try arenaRun(seed: 42, workers: 2).run(progress: progress)
        let again = try arenaRun(seed: 42, workers: 2).run()
        let alone = try arenaRun(seed: 42, workers: 1).run()
        let other = try arenaRun(seed: 43, workers: 2).run()

        #expect(first.count == 4)
        #expect(first.map(\.stateHash) == again.map(\.stateHash))
        #expect(first.map(\.stateHash) == alone.map(\.stateHash))
        #expect(Set(first.map(\.stateHash.value)).count == 4, "matches of one run are seeded apart")
        #expect(Set(first.map(\.stateHash.value)).isDisjoint(with: other.map(\.stateHash.value)))
        for report in first + alone {
            #expect(report.ticks == 600)
            #expect(report.scriptFailures == 0)
            #expect(report.botErrors == 0, "\(report.firstBotError ?? "")")
            guard case .unfinished = report.outcome else { Issue.record("match \(report.index): \(report.outcome)"); continue }
        }
        #expect(progress.ticks.load(ordering: .relaxed) == 4 * 600)
        #expect(progress.finished.withLock { $0.sorted() } == [0, 1, 2, 3])
    }

    @Test func reportsComeInMatchOrderWithTheirSeeds() throws {
        var run = HeadlessRun(game: try arena(), matches: 5, players: 2, ticks: 30, seed: 7)
        run.workers = 3
        let reports = run.run()
        #expect(reports.map(\.index) == Array(0..<5))
        #expect(reports.map(\.seed) == (0..<5).map { run.seed(ofMatch: $0) })
        #expect(Set(reports.map(\.seed)).count == 5)
        #expect(run.seed(ofMatch: 0) == SplitMix64.derive(7, 0))
    }

    @Test func anyMatchOfARunReplaysAlone() throws {
        let run = try arenaRun(seed: 42, workers: 2)
        var short = run
        short.ticks = 200
        let reports = short.run()
        var options = MatchOptions()
        options.seed = run.seed(ofMatch: 2)
        let replay = HeadlessMatch(game: run.game, options: options, players: 8, maxTicks: 200)
        var clock = VirtualClock()
        #expect(replay.play(index: 2, clock: &clock).stateHash == reports[2].stateHash)
    }

    // MARK: Outcomes

    @Test func arenaMatchPlaysToAWinner() throws {
        var options = MatchOptions()
        options.seed = 42
        let match = HeadlessMatch(game: try arena(), options: options, players: 8, maxTicks: 3000)
        var clock = VirtualClock()
        let report = match.play(index: 0, clock: &clock)
        guard case .finished(let result) = report.outcome else {
            Issue.record("arena did not finish in 3000 ticks: \(report.outcome)")
            return
        }
        #expect(report.ticks < 3000)
        #expect(result["ticks"] == .integer(Int64(report.ticks)))
        #expect(result["draw"] == .boolean(false))
        let winner = try #require(result["winner"].asString)
        guard case .integer(let winnerID) = result["winner_id"] else { Issue.record("winner_id: \(result["winner_id"])"); return }
        #expect(winner == "bot\(winnerID)")
        #expect((1...8).contains(winnerID))
        #expect(result["scores"].array.count == 8)
        #expect(report.botErrors == 0)
        #expect(report.scriptFailures == 0)
    }

    @Test func failingTickEndsTheMatchAsFailedAtItsLine() throws {
        let source = """
        local game = { name = "broken" }
        game.state = { match = { n = "u8" } }
        function game.tick(match, inputs, dt)
          match.n = match.tick
          error("rules are broken") -- here
        end
        return game
        """
        let fixture = try GameFixture(game: source, bot: "return { think = function() return nil end }")
        let match = HeadlessMatch(game: try fixture.load(), options: MatchOptions(), players: 2, maxTicks: 100)
        var clock = VirtualClock()
        let report = match.play(index: 0, clock: &clock)
        guard case .failed(let message) = report.outcome else { Issue.record("outcome \(report.outcome)"); return }
        #expect(report.failed)
        #expect(message.contains("game.tick failed at tick 3"), "\(message)")
        #expect(message.contains("game.lua:\(line(of: "-- here", in: source)): rules are broken"), "\(message)")
        #expect(report.ticks == 3)              // the default policy ends a match on its third failure
        #expect(report.scriptFailures == 3)
    }

    @Test func oneFailingMatchLeavesTheOthersToComplete() throws {
        let fixture = try GameFixture(game: sometimesBroken, bot: "return { think = function(view, me) return { dx = 1 } end }")
        var options = MatchOptions()
        options.failurePolicy = .endMatch(afterFailures: 1)
        var run = HeadlessRun(game: try fixture.load(), matches: 8, players: 2, ticks: 20, seed: 11, options: options)
        run.workers = 2
        let reports = run.run()
        #expect(reports.map(\.index) == Array(0..<8))
        let failed = reports.filter(\.failed)
        let completed = reports.filter { !$0.failed }
        try #require(!failed.isEmpty && !completed.isEmpty, "seed 11 should break some matches, not all")
        let wanted = "game.lua:\(line(of: "-- here", in: sometimesBroken)): flaky rules"
        for report in failed {
            guard case .failed(let message) = report.outcome else { continue }
            #expect(message.contains(wanted), "\(message)")
            #expect(report.ticks == 3)
        }
        for report in completed {
            guard case .unfinished = report.outcome else { Issue.record("match \(report.index): \(report.outcome)"); continue }
            #expect(report.ticks == 20)
            #expect(report.scriptFailures == 0)
        }
        // The same seed breaks the same matches.
        #expect(run.run().map(\.failed) == reports.map(\.failed))
    }

    @Test func gameWithoutBotFailsEveryMatch() throws {
        let fixture = try GameFixture(game: dotsGame)
        let reports = HeadlessRun(game: try fixture.load(), matches: 2, players: 1, ticks: 10, seed: 1).run()
        #expect(reports.count == 2)
        for report in reports {
            guard case .failed(let message) = report.outcome else { Issue.record("outcome \(report.outcome)"); continue }
            #expect(message.contains("has no bot.lua"))
            #expect(report.ticks == 0)
        }
    }

    @Test func playersBeyondTheSeatsAreRefusedAndLogged() throws {
        let fixture = try GameFixture(game: dotsGame, bot: "return { think = function(view, me) return { dx = 1 } end }")
        let log = LogLines()
        var options = MatchOptions(log: log.sink)
        options.seed = 3
        let match = HeadlessMatch(game: try fixture.load(), options: options, players: 5, maxTicks: 4)
        var clock = VirtualClock()
        let commands = CommandLog()
        let report = match.play(index: 0, clock: &clock, log: commands)
        let senders = Set(commands.inputs.joined().map(\.id))
        #expect(senders == [1, 2, 3, 4])
        #expect(log.lines.contains("bot5 was refused: the match is full (4 players)"))
        #expect(report.ticks == 4)
    }
}
