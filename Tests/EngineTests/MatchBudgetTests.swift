import Foundation
import Protocol
import Synchronization
import Testing
import TestSupport
@testable import Engine
import Lua

/// A CPU clock the test moves: each reading advances it by `step`.
private final class SteppingClock: Sendable {
    private let state = Mutex<(now: Duration, step: Duration)>((.zero, .zero))

    func set(step: Duration) { state.withLock { $0.step = step } }

    func read() -> Duration {
        state.withLock { state in
            state.now += state.step
            return state.now
        }
    }
}

@Suite struct MatchBudgetTests {
    // MARK: CPU

    @Test func aMatchThatOverrunsEveryTickEndsWhateverThePolicy() throws {
        let clock = SteppingClock()
        var options = scriptOptions(.skipTick)
        options.cpuClock = { clock.read() }
        let (match, _) = try startMatch(scriptedGame(tick: "match.n = match.tick"), options)
        // 30 Hz: a tick's period is 33.3 ms; half of it is the default budget.
        // Each tick reads the clock twice, so a step of 10 ms costs 10 ms.
        clock.set(step: .milliseconds(10))
        for _ in 1...60 { #expect(match.step()) }
        clock.set(step: .milliseconds(30))
        var ticks = 0
        while match.step() { ticks += 1; if ticks > 100 { break } }
        let failure = try #require(match.endingFailure)
        #expect(failure.error.message.contains("CPU budget exceeded"), "\(failure.error.message)")
        #expect(failure.error.location?.hasSuffix("game.lua") == true)
        // 30 ticks at 10 ms are 300 ms; the 500 ms allowance is passed once
        // enough 30 ms ticks replaced them: within one window.
        #expect(ticks < 30, "ended after \(ticks) overrunning ticks")
    }

    @Test func oneSlowTickIsForgiven() throws {
        let clock = SteppingClock()
        var options = scriptOptions(.endMatch(afterFailures: 1))
        options.cpuClock = { clock.read() }
        let (match, _) = try startMatch(scriptedGame(tick: "match.n = match.tick"), options)
        clock.set(step: .milliseconds(1))
        for _ in 1...40 { #expect(match.step()) }
        clock.set(step: .milliseconds(400))
        #expect(match.step())
        clock.set(step: .milliseconds(1))
        for _ in 1...100 { #expect(match.step()) }
        #expect(match.failureCount == 0)
    }

    @Test func noBudgetNeverEnds() throws {
        let clock = SteppingClock()
        var options = scriptOptions(.endMatch(afterFailures: 1))
        options.cpuClock = { clock.read() }
        options.cpuBudget = .unlimited
        let (match, _) = try startMatch(scriptedGame(tick: "match.n = match.tick"), options)
        clock.set(step: .milliseconds(100))
        for _ in 1...100 { #expect(match.step()) }
    }

    @Test func spendingWindowSumsTheLastTicks() {
        var spending = CPUSpending(budget: CPUBudget(share: 0.5, window: .seconds(1)), period: .milliseconds(100))!
        #expect(spending.ticks == 10)
        #expect(spending.allowance == 500_000_000)
        for _ in 1...10 {
            let within = spending.record(nanoseconds: 50_000_000)
            #expect(within)
        }
        let over = spending.record(nanoseconds: 60_000_000)
        #expect(!over)
        #expect(spending.total == 510_000_000)
        let back = spending.record(nanoseconds: 40_000_000)
        #expect(back)
    }

    // MARK: Memory and message size

    @Test func aSnapshotAboveTheMessageLimitIsAScriptFailureNotAFrame() throws {
        let source = """
        local game = { name = "big", tick_rate = 30, max_players = 2 }
        game.state = { blob = { text = { "string", 4096 } } }
        function game.tick(match, inputs, dt)
          if match.tick == 2 then
            for i = 1, 400 do match:spawn("blob", { text = string.rep("x", 4096) }) end
          end
        end
        return game
        """
        let (match, _) = try startMatch(source, scriptOptions(.skipTick))
        #expect(match.step())
        #expect(match.step())
        #expect(match.failureCount == 1)
        let failure = try #require(match.failures.first)
        #expect(failure.error.message.contains("above the protocol's limit of 1048576 bytes"), "\(failure.error.message)")
        #expect(failure.error.location?.hasSuffix("game.lua") == true)
        // The history holds the previous state again, so every frame fits.
        let latest = try #require(match.snapshots.latest)
        #expect(latest.tick == 2 && latest.entities.isEmpty)
        let frame = match.frame(baseline: nil, audience: .spectator)
        #expect(frame.count <= MessageType.maxMessageBytes)
    }

    @Test func theSnapshotHistoryCountsAgainstTheMemoryCap() throws {
        // 40 blobs of 4 KiB a tick: 160 KiB a snapshot, 64 of them would be
        // 10 MiB of history against a cap of 4 MiB.
        let source = """
        local game = { name = "hoard", tick_rate = 30, max_players = 2 }
        game.state = { blob = { text = { "string", 4096 } } }
        function game.init(match)
          for i = 1, 40 do match:spawn("blob", { text = string.rep(string.char(65 + i % 26), 4096) }) end
        end
        function game.tick(match, inputs, dt)
          for b in match:each("blob") do b.text = string.rep(string.char(65 + match.tick % 26), 4096) end
        end
        return game
        """
        let options = scriptOptions(.skipTick, limits: LuaLimits(memoryBytes: 4 << 20))
        let (match, _) = try startMatch(source, options)
        for _ in 1...64 { match.step() }
        #expect(match.failureCount > 0)
        let message = try #require(match.failures.first).error.message
        #expect(message.contains("memory limit"), "\(message)")
        #expect(match.historyBytes + match.memoryUsed <= 4 << 20 + 256 << 10)
    }
}
