import Foundation
import Protocol
import Testing
import TestSupport
@testable import Engine
import Lua

/// Every attack of `SandboxAttack.all`, played headless: it is stopped within
/// its bound, named at the game's file:line, and leaves a match whose
/// snapshots still encode within the message limit.
@Suite(.timeLimit(.minutes(5))) struct SandboxAttackTests {
    static let limits = LuaLimits(memoryBytes: 64 << 20, timeLimit: .milliseconds(100))
    /// An attack that must be stopped by the memory bound runs under a clock
    /// no machine reaches first: filling 64 MiB takes milliseconds, but a busy
    /// machine can spend more than 100 ms on it, and the test is about which
    /// bound holds, not about the CPU's speed.
    static let memoryOnlyLimits = LuaLimits(memoryBytes: 64 << 20, timeLimit: .seconds(4))

    @Test(arguments: SandboxAttack.all)
    func attackIsStoppedWhereItHappened(_ attack: SandboxAttack) throws {
        let fixture = try GameFixture(attack.folder)
        let log = LogLines()
        let limits = attack.outcome == .memoryLimit ? Self.memoryOnlyLimits : Self.limits
        let options = MatchOptions(limits: limits, failurePolicy: .endMatch(afterFailures: 1), log: log.sink)
        let match = try Match(game: fixture.load(), options: options)
        var slowest: Duration = .zero
        for _ in 1...40 {   // an attack that builds its weapon over ticks strikes by tick 37
            let started = ContinuousClock.now
            let running = match.step()
            slowest = max(slowest, ContinuousClock.now - started)
            if !running { break }
        }
        // Generous for a loaded machine: the limits are 100 ms and 64 MiB.
        #expect(slowest < .seconds(5), "a tick of \(attack.name) ran \(slowest)")
        let frame = match.frame(baseline: nil, audience: .spectator)
        #expect(frame.count <= MessageType.maxMessageBytes)
        _ = try ClientMirror(welcome: match.welcome(playerID: 0, matchID: "m")).apply(frame)

        guard attack.outcome != .survives else {
            #expect(match.status.isRunning, "\(match.failures)")
            #expect(match.failureCount == 0, "\(match.failures)")
            return
        }
        let failure = try #require(match.endingFailure, "\(attack.name) was not stopped")
        let error = failure.error
        switch attack.outcome {
        case .timeLimit: #expect(error.kind == .timeLimit, "\(error)")
        case .memoryLimit: #expect(error.kind == .memoryLimit, "\(error)")
        case .timeOrMemoryLimit: #expect(error.kind == .timeLimit || error.kind == .memoryLimit, "\(error)")
        case .error(let text): #expect(error.message.contains(text), "\(error)")
        case .engine(let text): #expect(error.message.contains(text), "\(error)")
        case .survives: break
        }
        if case .engine = attack.outcome {
            #expect(error.location?.contains("game.lua") == true, "\(error)")
        } else {
            let (file, line) = attack.marked
            #expect(error.location?.hasSuffix("\(file):\(line)") == true, "\(error.location ?? "no location") should be \(file):\(line): \(error)")
        }
    }

    @Test func theSuiteHasAtLeastFortyAttempts() {
        #expect(SandboxAttack.all.count >= 40)
        #expect(Set(SandboxAttack.all.map(\.name)).count == SandboxAttack.all.count)
    }
}
