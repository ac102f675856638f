import Testing
import TestSupport
import Bots
import Engine
import Lua
import Protocol

private func cards() throws -> GameDefinition { try GameDefinition.load(folder: gamesFolder + "/cards") }

/// A match of games/cards driven by the test: players seated by name, client
/// events sent by hand (or by bot.lua's bots), and after each tick every
/// seat's view and a spectator's decoded as their clients would decode them.
private final class Table {
    let session: MatchSession
    let schema: GameSchema
    /// Each player's view, by player id.
    private(set) var views: [Int: ClientMirror] = [:]
    /// What a spectator is sent.
    let spectator: ClientMirror
    /// bot.lua's bots, playing every seat, when asked for; they see the whole
    /// state, as in `tickwire bots`.
    private let brain: BotBrain?
    private let whole: ClientMirror
    /// The events each player received in the last tick, by player id.
    private(set) var events: [Int: [(name: String, to: Int, fields: [String: FieldValue])]] = [:]

    init(players: Int, seed: Int64 = 7, params: [String: MatchParameter] = ["lobby": .number(0)], bots: Bool = false) throws {
        let game = try cards()
        schema = game.schema
        spectator = ClientMirror(schema: schema)
        whole = ClientMirror(schema: schema)
        var options = MatchOptions(seed: seed, params: params)
        options.failurePolicy = .endMatch(afterFailures: 1)
        session = try MatchSession(game: game, options: options)
        brain = bots ? try BotBrain(game: game, seed: seed) : nil
        for p in 1...players {
            try #require(join("p\(p)") == .joined(player: p))
            brain?.add(playerID: p, name: "p\(p)")
        }
    }

    deinit { session.end() }

    var match: Match { session.match }

    @discardableResult func join(_ name: String) -> MatchSession.Outcome {
        let outcome = session.apply(.join(name: name, account: nil))
        if case .joined(let id) = outcome { views[id] = ClientMirror(schema: schema) }
        return outcome
    }

    func leave(_ player: Int) {
        session.apply(.leave(player: player))
        views[player] = nil
    }

    func send(_ player: Int, _ name: String, _ fields: [String: Int64] = [:]) {
        let index = schema.clientEvents.firstIndex { $0.name == name }!
        let values = schema.clientEvents[index].fields.map { fields[$0.name] ?? 0 }
        session.apply(.clientEvent(player: player, event: index, values: values, strings: StringTable()))
    }

    /// One tick (the bots' moves first, on the last tick's state), then each
    /// player's and the spectator's frame through their mirrors.
    func step() throws {
        if let brain {
            brain.observe(try whole.apply(match.frame(baseline: whole.state?.tick, audience: .everyone)))
            for id in views.keys.sorted() {
                for event in brain.think(playerID: id).clientEvents {
                    session.apply(.clientEvent(player: id, event: event.event, values: event.values, strings: event.strings))
                }
            }
        }
        session.step()
        _ = try spectator.apply(match.frame(baseline: spectator.state?.tick, audience: .spectator))
        events = [:]
        let schema = schema
        for (id, mirror) in views {
            var heard: [(name: String, to: Int, fields: [String: FieldValue])] = []
            mirror.onEvent = { event in
                let names = schema.events.first { $0.name == event.name }!.fields.map(\.name)
                heard.append((event.name, 0, Dictionary(uniqueKeysWithValues: names.map { ($0, event[$0]!) })))
            }
            let snapshot = try mirror.apply(match.frame(baseline: mirror.state?.tick, audience: .player(id)))
            for (i, e) in snapshot.events.enumerated() where i < heard.count { heard[i].to = e.to }
            events[id] = heard
        }
    }

    func step(until done: () -> Bool, within ticks: Int = 200) throws {
        for _ in 0..<ticks where !done() { try step() }
        try #require(done(), "not reached within \(ticks) ticks")
    }

    /// A match field as player `id` sees it (integers and entity ids).
    func field(_ name: String, seenBy id: Int) -> Int {
        let f = schema.match.fields.firstIndex { $0.name == name }!
        return Int(views[id]!.state?.match[f] ?? 0)
    }

    /// The cards player `id` is sent.
    func cardsSeen(by id: Int) -> [EntityView] { views[id]!.entities.filter { $0.kind == "card" } }

    /// Player `id`'s hand, as their client reads it: the cards they own.
    func hand(of id: Int) -> [EntityView] { cardsSeen(by: id).filter { $0["owner"] == .number(Double(id)) } }
}

private func number(_ value: FieldValue?) -> Int {
    if case .number(let n) = value { return Int(n) }
    if case .entity(let id) = value { return Int(id) }
    return -1
}

@Suite struct CardsGameTests {
    // MARK: Bots

    @Test(arguments: [2, 3, 5])
    func botsPlayToAWinnerTheSameWayEveryRun(players: Int) throws {
        var run = HeadlessRun(game: try cards(), matches: 6, players: players, ticks: 3000, seed: 42)
        run.workers = 2
        let reports = run.run()
        #expect(reports.map(\.stateHash) == run.run().map(\.stateHash), "a seed replays the same games")
        #expect(Set(reports.map(\.stateHash.value)).count == 6, "each match is dealt its own cards")
        for report in reports {
            #expect(report.scriptFailures == 0, "\(report.firstScriptFailure ?? "")")
            #expect(report.botErrors == 0, "\(report.firstBotError ?? "")")
            #expect(report.botWarnings.isEmpty, "\(report.botWarnings)")
            guard case .finished(let result) = report.outcome else {
                Issue.record("match \(report.index) with \(players) bots: \(report.outcome)")
                continue
            }
            #expect(result["reason"].asString == "empty hand", "\(result)")
            guard case .integer(let winner) = result["winner_id"] else { Issue.record("winner_id: \(result)"); continue }
            #expect((1...Int64(players)).contains(winner))
            #expect(result["winner"].asString == "bot\(winner)")
            let hands = result["hands"].array
            #expect(hands.count == players, "every player is still at the table")
            for hand in hands {
                let empty = hand["cards"] == .integer(0)
                #expect(empty == (hand["player"] == .integer(winner)), "only the winner's hand is empty: \(hand)")
            }
        }
    }

    // MARK: Who sees what

    @Test func eachPlayerIsSentTheirOwnHandAndTheTopCardAndEveryonesCount() throws {
        let table = try Table(players: 3)
        try table.step(until: { table.field("phase", seenBy: 1) == 2 })
        for id in 1...3 {
            let top = table.field("top", seenBy: id)
            let seen = table.cardsSeen(by: id)
            #expect(table.hand(of: id).count == 5, "player \(id) holds 5 cards")
            #expect(seen.count == 6, "player \(id) is sent their 5 cards and the top one, no other: \(seen.map(\.id))")
            #expect(seen.contains { Int($0.id) == top && $0["owner"] == .number(0) })
            let seats = table.views[id]!.entities.filter { $0.kind == "seat" }
            #expect(seats.map { number($0["cards"]) } == [5, 5, 5], "everyone's count is public")
        }
        let hands = (1...3).map { Set(table.hand(of: $0).map(\.id)) }
        #expect(hands[0].isDisjoint(with: hands[1]) && hands[1].isDisjoint(with: hands[2]) && hands[0].isDisjoint(with: hands[2]))
    }

    @Test func overAWholeGameNoPlayerIsSentAnotherHandAndASpectatorNoHandAtAll() throws {
        let table = try Table(players: 4, seed: 11, bots: true)
        var ticks = 0
        while table.match.status.isRunning && ticks < 3000 {
            try table.step()
            ticks += 1
            for id in table.views.keys {
                let top = table.field("top", seenBy: id)
                let strangers = table.cardsSeen(by: id).filter { $0["owner"] != .number(Double(id)) && Int($0.id) != top }
                #expect(strangers.isEmpty, "tick \(table.match.tick): player \(id) is sent cards they do not hold")
                let seat = table.views[id]!.entities.first { $0.kind == "seat" && $0["player"] == .number(Double(id)) }
                #expect(seat?["cards"] == .number(Double(table.hand(of: id).count)), "the public count is the hand's size")
            }
            let watched = table.spectator.entities.filter { $0.kind == "card" }
            #expect(watched.allSatisfy { $0["owner"] == .number(0) } && watched.count <= 1,
                    "tick \(table.match.tick): a spectator is sent at most the top card, got \(watched.count)")
        }
        guard case .finished(let result) = table.match.status else { Issue.record("\(table.match.status)"); return }
        #expect(result["reason"].asString == "empty hand")
    }

    // MARK: Moves

    @Test func aMoveThatIsNotTakenIsRefusedToItsPlayerAlone() throws {
        let table = try Table(players: 2)
        try table.step(until: { table.field("phase", seenBy: 1) == 2 })
        #expect(table.field("turn", seenBy: 1) == 1)
        let othersCard = Int64(table.hand(of: 2)[0].id)
        table.send(2, "draw")                                   // not player 2's turn
        table.send(1, "play", ["card": othersCard])             // a card player 1 does not hold
        table.send(1, "play", ["card": 999])                    // no card at all: the same answer
        try table.step()
        let refusals = table.events[1]!.filter { $0.name == "refused" }.map { $0.fields["reason"] }
        #expect(refusals == [.string("that card is not in your hand"), .string("that card is not in your hand")])
        #expect(table.events[1]!.allSatisfy { $0.name != "refused" || $0.to == 1 })
        #expect(table.events[2]!.map(\.name) == ["refused"])
        #expect(table.events[2]![0].fields["reason"] == .string("it is not your turn"))
        #expect(table.field("turn", seenBy: 1) == 1, "a refused move does not end the turn")
        #expect(table.hand(of: 2).count == 7)
    }

    @Test func aPlayedCardGoesOnTopForAllToSeeAndTheTurnPasses() throws {
        let table = try Table(players: 2)
        try table.step(until: { table.field("phase", seenBy: 1) == 2 })
        let suit = table.field("suit", seenBy: 1)
        let top = try #require(table.views[1]!.entity(id: UInt32(table.field("top", seenBy: 1))))
        let card = try #require(table.hand(of: 1).first {
            number($0["rank"]) == 8 || number($0["suit"]) == suit || $0["rank"] == top["rank"]
        }, "seed 7 deals player 1 a card to play")
        table.send(1, "play", ["card": Int64(card.id), "suit": 3])
        try table.step()
        for id in 1...2 {
            #expect(table.field("top", seenBy: id) == Int(card.id))
            #expect(table.field("turn", seenBy: id) == 2)
            let played = try #require(table.events[id]!.first { $0.name == "played" })
            #expect(played.fields["card"] == .entity(card.id) && played.fields["player"] == .number(1))
        }
        #expect(table.views[2]!.entity(id: card.id)?["rank"] == card["rank"], "player 2 now sees the card")
        #expect(table.views[2]!.entity(id: top.id)?.id == nil, "the card it covered is buried, face down")
        #expect(table.hand(of: 1).count == 6)
        let expected = number(card["rank"]) == 8 ? 3 : number(card["suit"])
        #expect(table.field("suit", seenBy: 2) == expected)
    }

    @Test func aPlayerWhoDoesNotMoveDrawsWhenTheTurnRunsOut() throws {
        let table = try Table(players: 2, params: ["lobby": .number(0), "turn_time": .number(2)])
        try table.step(until: { table.field("phase", seenBy: 1) == 2 })
        let dealt = table.match.tick
        try table.step(until: { table.field("turn", seenBy: 1) == 2 }, within: 30)
        #expect(table.match.tick - dealt == 20, "2 seconds at 10 ticks a second")
        let drew = try #require(table.events[2]!.first { $0.name == "drew" })
        #expect(drew.fields["player"] == .number(1) && drew.fields["timed_out"] == .bool(true))
        #expect(table.hand(of: 1).count == 8)
        let seat = table.views[2]!.entities.first { $0.kind == "seat" && $0["player"] == .number(1) }
        #expect(seat?["cards"] == .number(8), "player 2 sees the count go up, not the card")
        #expect(table.cardsSeen(by: 2).count == 8)
    }

    // MARK: The table

    @Test func aPlayerArrivingAfterTheDealIsRefusedWithTheReason() throws {
        let table = try Table(players: 2)
        try table.step(until: { table.field("phase", seenBy: 1) == 2 })
        #expect(table.join("late") == .refused(reason: "this table's game has started: watch it, or open a new table"))
    }

    @Test func theTableWaitsForMinPlayersThenForTheLobbyThenDeals() throws {
        let table = try Table(players: 2, params: ["min_players": .number(3), "lobby": .number(2)])
        for _ in 0..<30 { try table.step() }
        #expect(table.field("phase", seenBy: 1) == 1 && table.field("starts_in", seenBy: 1) == 0, "two of three")
        #expect(table.join("third") == .joined(player: 3))
        try table.step()
        #expect(table.field("starts_in", seenBy: 1) == 2)
        try table.step(until: { table.field("phase", seenBy: 1) == 2 }, within: 25)
        #expect(table.hand(of: 3).count == 5, "three players hold 5 cards each")
    }

    @Test func whenAllButOnePlayerLeaveTheLastOneWins() throws {
        let table = try Table(players: 3)
        try table.step(until: { table.field("phase", seenBy: 1) == 2 })
        table.leave(1)
        try table.step()
        #expect(table.field("turn", seenBy: 2) == 2, "the turn goes on to the next player")
        table.leave(3)
        try table.step()
        guard case .finished(let result) = table.match.status else { Issue.record("\(table.match.status)"); return }
        #expect(result["winner_id"] == .integer(2) && result["reason"].asString == "the others left")
    }
}
