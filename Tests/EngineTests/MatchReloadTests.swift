import Engine
import Foundation
import Protocol
import Testing
import TestSupport

/// Hot reload by replay (`MatchSession.rebuilt`): a match moved to new
/// rules is the match the new rules would have made from the same commands.
@Suite struct MatchReloadTests {
    /// Players push a counter by their input; joins past `limit` are refused.
    static func rules(step: Int, limit: Int = 4, failAt: Int? = nil) -> String {
        """
        local game = { name = "pusher", tick_rate = 30, max_players = 4 }
        game.state = { match = { total = "i32" }, avatar = { owner = "u8", pushes = "i32" } }
        game.input = { push = "i8" }
        local avatars, seated = {}, 0
        function game.init(match) match.total = 0 end
        function game.join(match, player)
          if seated >= \(limit) then return false, "full" end
          seated = seated + 1
          avatars[player.id] = match:spawn("avatar", { owner = player.id, pushes = 0 })
          return true
        end
        function game.leave(match, player) match:despawn(avatars[player.id]); avatars[player.id] = nil; seated = seated - 1 end
        function game.tick(match, inputs, dt)
          \(failAt.map { "if match.tick == \($0) then error(\"broken at \($0)\") end" } ?? "")
          for id, input in pairs(inputs) do
            local a = avatars[id]
            if a then a.pushes = a.pushes + input.push * \(step); match.total = match.total + input.push * \(step) end
          end
        end
        return game
        """
    }

    /// Two players, 40 ticks of inputs, one leave, one input waiting for the next tick.
    static func play(_ session: MatchSession) {
        session.apply(.join(name: "ann", account: nil))
        for t in 1...40 {
            if t == 5 { session.apply(.join(name: "bob", account: nil)) }
            if t == 30 { session.apply(.leave(player: 2)) }
            session.apply(.input(player: 1, sequence: UInt32(t), values: [Int64(t % 3)]))
            if t < 30, t >= 5 { session.apply(.input(player: 2, sequence: UInt32(t), values: [1])) }
            session.step()
        }
        session.apply(.input(player: 1, sequence: 41, values: [2]))
    }

    static let options = MatchOptions(seed: 9)

    @Test func aRebuildOnNewRulesIsTheMatchTheNewRulesWouldHaveMade() throws {
        let (old, new) = (try GameFixture(game: Self.rules(step: 1)), try GameFixture(game: Self.rules(step: 10)))
        let session = try MatchSession(game: try old.load(), options: Self.options, keepsHistory: true)
        Self.play(session)
        let rebuilt = try session.rebuilt(on: try new.load(), log: nil, deadline: .now + .seconds(60))
        let reference = try MatchSession(game: try new.load(), options: Self.options)
        Self.play(reference)
        #expect(rebuilt.tick == session.tick)
        #expect(rebuilt.match.stateHash == reference.match.stateHash)
        #expect(rebuilt.match.stateHash != session.match.stateHash)
        // The input given since the last tick is applied on both, and both go on alike.
        rebuilt.step()
        reference.step()
        #expect(rebuilt.match.stateHash == reference.match.stateHash)
    }

    @Test func theRebuildKeepsItsHistorySoItCanBeRebuiltAgain() throws {
        let (a, b) = (try GameFixture(game: Self.rules(step: 1)), try GameFixture(game: Self.rules(step: 2)))
        let session = try MatchSession(game: try a.load(), options: Self.options, keepsHistory: true)
        Self.play(session)
        let there = try session.rebuilt(on: try b.load(), log: nil, deadline: .now + .seconds(60))
        let back = try there.rebuilt(on: try a.load(), log: nil, deadline: .now + .seconds(60))
        #expect(back.match.stateHash == session.match.stateHash)
    }

    @Test func newRulesThatFailOnTheHistoryLeaveTheMatchAsItWas() throws {
        let (old, broken) = (try GameFixture(game: Self.rules(step: 1)), try GameFixture(game: Self.rules(step: 1, failAt: 12)))
        var options = Self.options
        options.failurePolicy = .endMatch(afterFailures: 1)
        let session = try MatchSession(game: try old.load(), options: options, keepsHistory: true)
        Self.play(session)
        let hash = session.match.stateHash
        #expect(throws: MatchSession.ReloadError.self) {
            _ = try session.rebuilt(on: try broken.load(), log: nil, deadline: .now + .seconds(60))
        }
        do {
            _ = try session.rebuilt(on: try broken.load(), log: nil, deadline: .now + .seconds(60))
        } catch {
            #expect("\(error)".contains("broken at 12"))
        }
        #expect(session.match.stateHash == hash)
        #expect(session.isRunning)
    }

    @Test func aJoinTheNewRulesRefuseLeavesThatPlayerUnseated() throws {
        let (old, strict) = (try GameFixture(game: Self.rules(step: 1)), try GameFixture(game: Self.rules(step: 1, limit: 1)))
        let session = try MatchSession(game: try old.load(), options: Self.options, keepsHistory: true)
        session.apply(.join(name: "ann", account: nil))
        session.apply(.join(name: "bob", account: nil))
        session.step()
        let rebuilt = try session.rebuilt(on: try strict.load(), log: nil, deadline: .now + .seconds(60))
        #expect(rebuilt.match.isSeated(1))
        #expect(!rebuilt.match.isSeated(2))
    }

    @Test func aRebuildPastItsDeadlineGivesUp() throws {
        let game = try GameFixture(game: Self.rules(step: 1))
        let session = try MatchSession(game: try game.load(), options: Self.options, keepsHistory: true)
        Self.play(session)
        let rules = try game.load()
        do throws(MatchSession.ReloadError) {
            _ = try session.rebuilt(on: rules, log: nil, deadline: .now - .seconds(1))
            Issue.record("rebuilt past its deadline")
        } catch {
            guard case .tooLong(let replayed, let total) = error else { Issue.record("\(error)"); return }
            #expect(replayed == 0 && total == 40)
        }
        #expect(session.isRunning)
    }

    @Test func aSessionWithoutHistoryCannotBeRebuilt() throws {
        let game = try GameFixture(game: Self.rules(step: 1))
        let session = try MatchSession(game: try game.load(), options: Self.options)
        #expect(throws: MatchSession.ReloadError.self) {
            _ = try session.rebuilt(on: try game.load(), log: nil, deadline: .now + .seconds(60))
        }
    }

    @Test func inputsOutsideTheSchemaAreIgnored() throws {
        let game = try GameFixture(game: Self.rules(step: 1))
        let session = try MatchSession(game: try game.load(), options: Self.options)
        session.apply(.join(name: "ann", account: nil))
        #expect(session.apply(.input(player: 1, sequence: 1, values: [300])) == .ignored)   // i8
        #expect(session.apply(.input(player: 1, sequence: 1, values: [1, 1])) == .ignored)
        #expect(session.apply(.input(player: 1, sequence: 1, values: [-128])) == .applied)
    }

    @Test func aRecordedMatchThatIsReloadedLeavesTwoRecordingsThatEachReplay() throws {
        let (old, new) = (try GameFixture(game: Self.rules(step: 1)), try GameFixture(game: Self.rules(step: 10)))
        let (oldGame, newGame) = (try old.load(), try new.load())
        func recorder(_ game: GameDefinition, _ sink: MemoryReplaySink) -> MatchRecorder {
            MatchRecorder(game: game, options: Self.options,
                          settings: .init(matchID: "m1", origin: "test", flushEveryTicks: 20, checkpointEvery: 10), sink: sink)
        }
        let (before, after) = (MemoryReplaySink(), MemoryReplaySink())
        let session = try MatchSession(game: oldGame, options: Self.options, log: recorder(oldGame, before),
                                       checkpointEvery: 10, keepsHistory: true)
        Self.play(session)
        let rebuilt = try session.rebuilt(on: newGame, log: recorder(newGame, after), deadline: .now + .seconds(60))
        session.endForReload()
        for _ in 0..<15 { rebuilt.step() }
        rebuilt.end()

        let first = try MatchReplay(recording: Recording(bytes: before.bytes), game: oldGame)
        try first.run()
        #expect(first.divergence == nil && first.recordedEnd?.hash == session.match.stateHash.value)
        #expect(first.recordedEnd?.outcome.contains("reloaded") == true)
        let second = try MatchReplay(recording: Recording(bytes: after.bytes), game: newGame)
        try second.run()
        #expect(second.divergence == nil, "\(String(describing: second.divergence))")
        #expect(second.tick == 55 && second.recordedEnd?.hash == rebuilt.match.stateHash.value)
    }
}
