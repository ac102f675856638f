import Testing
import TestSupport
@testable import Engine

@Suite struct MatchClientEventsTests {
    let game = """
        local game = { tick_rate = 10, max_players = 2 }
        game.state = { match = { said = { "string", 32 }, votes = "u8" } }
        game.client_events = { chat = { text = { "string", 16 }, loud = "bool" }, vote = { yes = "bool" } }
        function game.init(match) match.votes = 0 end
        function game.event(match, player, name, data)
          if name == "chat" then
            match.said = player.name .. ":" .. data.text .. (data.loud and "!" or "")
          elseif name == "vote" then
            if data.yes then match.votes = match.votes + 1 end
            if match.votes == 3 then error("three votes") end -- here
          end
        end
        function game.tick(match, inputs, dt) end
        return game
        """

    func chat(_ text: String, loud: Bool, in match: Match, from player: Int) {
        var strings = StringTable()
        let index = strings.append(Array(text.utf8))
        let chat = match.schema.clientEvents.firstIndex { $0.name == "chat" }!
        // Fields are sorted: loud, text.
        match.submit(clientEvent: chat, values: [loud ? 1 : 0, Int64(index)], strings: strings, from: player)
    }

    func vote(in match: Match, from player: Int) {
        let vote = match.schema.clientEvents.firstIndex { $0.name == "vote" }!
        match.submit(clientEvent: vote, values: [1], strings: StringTable(), from: player)
    }

    @Test func eventsReachTheGameAtTheNextTickInOrder() throws {
        let fixture = try GameFixture(game: game)
        let match = try Match(game: fixture.load(), options: MatchOptions(failurePolicy: .skipTick))
        _ = match.join(name: "ann"); _ = match.join(name: "bob")
        chat("hi", loud: false, in: match, from: 2)
        chat("hey", loud: true, in: match, from: 1)
        chat("last", loud: false, in: match, from: 2)
        match.step()
        let s = try #require(match.snapshots.latest)
        // Players in id order, each in arrival order: ann, then bob's two.
        #expect(s.strings[Int(s.match[0])] == Array("bob:last".utf8))
        match.step()
        #expect(match.snapshots.latest!.strings[Int(match.snapshots.latest!.match[0])] == Array("bob:last".utf8))
    }

    @Test func aFailingHandlerIsAScriptFailureAndTheOthersStillRun() throws {
        let fixture = try GameFixture(game: game)
        let match = try Match(game: fixture.load(), options: MatchOptions(failurePolicy: .skipTick))
        _ = match.join(name: "ann")
        for _ in 0..<4 { vote(in: match, from: 1) }
        match.step()
        #expect(match.failureCount == 1)
        #expect(match.failures.first?.callback == "event")
        #expect(match.failures.first?.error.location?.hasSuffix("game.lua:\(line(of: "-- here", in: game))") == true)
        #expect(match.snapshots.latest!.match[1] == 4)
    }

    @Test func aFloodIsBoundedAndCounted() throws {
        let fixture = try GameFixture(game: game)
        let match = try Match(game: fixture.load())
        _ = match.join(name: "ann")
        for i in 0..<100 { chat("m\(i)", loud: false, in: match, from: 1) }
        #expect(match.droppedClientEvents == 100 - Match.clientEventQueueLimit)
        match.step()
        #expect(match.snapshots.latest!.strings[Int(match.snapshots.latest!.match[0])] == Array("ann:m15".utf8))
        // Events for unknown players or with the wrong field count are ignored.
        chat("ghost", loud: false, in: match, from: 2)
        match.submit(clientEvent: 0, values: [1, 2, 3], strings: StringTable(), from: 1)
        match.step()
        #expect(match.snapshots.latest!.strings[Int(match.snapshots.latest!.match[0])] == Array("ann:m15".utf8))
    }
}
