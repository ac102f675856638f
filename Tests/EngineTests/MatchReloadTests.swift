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

/// A reload in place (`game.reload`): the running match keeps its entities
/// and the rules' own state is carried over by the game.
@Suite struct MatchReloadInPlaceTests {
    /// Avatars gain `step` per tick; `game.reload` rebuilds the module's
    /// `avatars` table from the match and counts reloads in a match field.
    static func rules(step: Int, extraKind: Bool = true, fail: Bool = false, withReload: Bool = true, level: Bool = false) -> String {
        """
        local game = { name = "places", tick_rate = 30, max_players = 4 }
        game.state = { match = { reloads = "u8" }, avatar = { owner = "u8", score = "i32"\(level ? ", level = \"u8\"" : "") }\(extraKind ? ", rock = { x = \"u8\" }" : "") }
        game.input = { push = "i8" }
        local avatars = {}
        function game.init(match) match.reloads = 0\(extraKind ? "; match:spawn(\"rock\", { x = 1 })" : "") end
        function game.join(match, player)
          avatars[player.id] = match:spawn("avatar", { owner = player.id, score = 0 })
          return true
        end
        function game.tick(match, inputs, dt)
          for _, a in pairs(avatars) do a.score = a.score + \(step) end
        end
        \(withReload ? """
        function game.reload(match, old)
          \(fail ? "error(\"reload broke\")" : "")
          assert(type(old) == "table" and old.tick ~= game.tick)
          match.reloads = match.reloads + 1
          for a in match:each("avatar") do avatars[a.owner] = a\(level ? "; a.level = 9" : "") end
        end
        """ : "")
        return game
        """
    }

    func played(_ game: GameDefinition) throws -> MatchSession {
        let session = try MatchSession(game: game, options: MatchOptions(seed: 3), keepsHistory: true)
        session.apply(.join(name: "ann", account: nil))
        session.apply(.join(name: "bob", account: nil))
        for _ in 1...10 { session.step() }
        return session
    }

    @Test func theMatchKeepsItsStateAndRunsTheNewRulesFromTheReloadOn() throws {
        let (old, new) = (try GameFixture(game: Self.rules(step: 1)), try GameFixture(game: Self.rules(step: 100, extraKind: false, level: true)))
        let session = try played(try old.load())
        let tick = session.tick
        try session.reloadInPlace(on: try new.load())
        #expect(session.tick == tick && session.isRunning && session.match.failureCount == 0)
        #expect(session.history == nil, "a reload in place ends the history a rebuild would replay")
        session.step()
        let state = MatchState(session.match)
        let avatars = try #require(state.kinds.first { $0.name == "avatar" }).entities
        #expect(avatars.count == 2)
        for avatar in avatars {
            #expect(avatar.fields["score"] == .number(10 + 100), "10 ticks at 1, then one at 100: \(avatar.fields)")
            #expect(avatar.fields["level"] == .number(9))
        }
        #expect(state.kinds.map(\.name) == ["avatar"], "the rock's kind is gone, and the rock with it")
        #expect(state.match["reloads"] == .number(1))
        #expect(session.match.snapshots.latest?.entities.count == 2)
    }

    @Test func anErrorInGameReloadIsAScriptFailureAndTheNewRulesRun() throws {
        let (old, new) = (try GameFixture(game: Self.rules(step: 1)), try GameFixture(game: Self.rules(step: 100, fail: true)))
        let session = try played(try old.load())
        try session.reloadInPlace(on: try new.load())
        #expect(session.match.failures.first?.callback == "reload")
        #expect("\(session.match.failures.first?.error ?? GameError(location: nil, message: ""))".contains("reload broke"))
    }

    @Test func rulesThatDoNotFitTheMatchLeaveItAsItWas() throws {
        let old = try GameFixture(game: Self.rules(step: 1))
        let session = try played(try old.load())
        let hash = session.match.stateHash
        let narrow = try GameFixture(game: Self.rules(step: 1).replacingOccurrences(of: "max_players = 4", with: "max_players = 1"))
        do {
            try session.reloadInPlace(on: try narrow.load())
            Issue.record("seated player 2 does not fit max_players 1")
        } catch {
            #expect("\(error)".contains("below seated player 2"))
        }
        #expect(session.match.stateHash == hash && session.match.game.maxPlayers == 4)
        #expect(session.history != nil)
        #expect(session.step())
    }
}
