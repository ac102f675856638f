import Testing
import TestSupport
@testable import Engine
import Lua

/// Uses of `match` that cannot work, found in the source by `check`, and
/// the hint a failing call on a missing method gets at run time.
@Suite struct MatchUsesLintTests {
    private func warnings(_ tick: String, top: String = "") throws -> (warnings: [String], source: String) {
        let source = """
            local game = { name = "uses" }
            game.state = { match = { phase = "u8" }, ship = { x = "u8" } }
            game.events = { boom = { at = "u8" } }
            \(top)
            function game.tick(match, inputs, dt)
            \(tick)
            end
            return game
            """
        let fixture = try GameFixture(game: source)
        return (try fixture.load().warnings, source)
    }

    @Test func aMissingMethodIsNamedWithItsLineAndTheMethodMeant() throws {
        let (found, source) = try warnings("""
            local s = match:spwan("ship", { x = 1 }) -- here
            """)
        let line = line(of: "-- here", in: source)
        #expect(found.count == 1, "\(found)")
        #expect(found.first?.hasSuffix("game.lua:\(line): warning: match has no method spwan (did you mean match:spawn?)") == true, "\(found)")
    }

    @Test func aMethodFarFromAnyListsTheMethods() throws {
        let (found, _) = try warnings("match:explode()")
        #expect(found.first?.contains("match has no method explode (its methods are broadcast, count, despawn, each, entity, hide, lock, random, reset_visibility, send, show, spawn, unlock)") == true,
                "\(found)")
        let (field, _) = try warnings("match:phase()")
        #expect(field.first?.contains("match.phase is a field, not a method") == true, "\(field)")
    }

    @Test func aMethodCalledWithADotIsFlagged() throws {
        let (found, _) = try warnings("match.broadcast('boom', { at = 1 })")
        #expect(found.first?.contains("match.broadcast(...) calls broadcast without the match: write match:broadcast(...)") == true, "\(found)")
    }

    @Test func aFieldOneSlipFromARealOneIsFlaggedAndTheRulesOwnAreNot() throws {
        let (found, _) = try warnings("""
            if match.tikc > 3 then match.phsae = 2 end
            match.my_own_counter = (match.my_own_counter or 0) + 1
            match.phase = match.time > 1 and 1 or 0
            """)
        #expect(found.count == 2, "\(found)")
        #expect(found.contains { $0.hasSuffix("match.tikc is not a field of match (did you mean match.tick?)") }, "\(found)")
        #expect(found.contains { $0.hasSuffix("match.phsae is not a field of match (did you mean match.phase?)") }, "\(found)")
    }

    @Test func commentsStringsAndOtherTablesAreNotUses() throws {
        let (found, _) = try warnings("""
            -- match:spwan("ship") in a comment
            --[[ match:spwan("ship")
                 in a long comment ]]
            local text = "match:spwan('ship')" .. [[match:spwan]] .. 'match.spwn()'
            local other = { match = {} }
            other.match.spwan = 1
            local label = match.phase .. "x"
            """, top: "local function helper(match) return match:count() end")
        #expect(found.isEmpty, "\(found)")
    }

    @Test func arenaHasNoWarnings() throws {
        let arena = try GameDefinition.load(folder: gamesFolder + "/arena")
        #expect(arena.warnings.isEmpty, "\(arena.warnings)")
    }

    @Test func editDistanceCountsASwapAsOneEdit() {
        #expect(GameDefinition.editDistance("spwan", "spawn") == 1)
        #expect(GameDefinition.editDistance("tikc", "tick") == 1)
        #expect(GameDefinition.editDistance("leaves", "leave") == 1)
        #expect(GameDefinition.editDistance("", "each") == 4)
        #expect(GameDefinition.likelyMeant("despwan", among: RulesEnvironment.matchMethods) == "despawn")
        #expect(GameDefinition.likelyMeant("on_event") == "event")
    }

    // MARK: At run time

    @Test func aFailingCallOfAMissingMethodSaysWhichWasMeant() throws {
        let source = scriptedGame(tick: "match:spwan('rock', { v = 1 }) -- here")
        let (match, _) = try startMatch(source, scriptOptions())
        match.step()
        let failure = try #require(match.endingFailure)
        expectAt(failure.error, marked: source, "attempt to call a nil value (method 'spwan') (did you mean match:spawn?)")
    }

    @Test func theHintIsOnlyForCallsOnMatch() throws {
        let source = scriptedGame(tick: "local t = {}; t:spwan() -- here")
        let (match, _) = try startMatch(source, scriptOptions())
        match.step()
        let failure = try #require(match.endingFailure)
        #expect(failure.error.message == "attempt to call a nil value (method 'spwan')", "\(failure)")
    }

    @Test func aFailingInitGetsTheHintToo() throws {
        let source = scriptedGame(tick: "", initBody: "match:brodcast('note', { v = 1 }) -- here")
        let fixture = try GameFixture(game: source)
        let error = try #require(throws: GameError.self) { try Match(game: fixture.load(), options: scriptOptions()) }
        expectAt(error, marked: source, "(did you mean match:broadcast?)")
    }
}
