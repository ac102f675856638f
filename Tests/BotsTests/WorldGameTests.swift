import Testing
import TestSupport
import Bots
import Engine
import Lua
import Protocol

private func world() throws -> GameDefinition { try GameDefinition.load(folder: gamesFolder + "/world") }

/// games/world's interest radius (`game.interest`).
private let viewRadius = 600.0

/// A match of games/world played by bot.lua's bots, each thinking on its own
/// player's view as `tickwire bots` plays it; after each tick, every
/// player's view and the whole state are decoded as their clients would.
private final class WorldMatch {
    let session: MatchSession
    let schema: GameSchema
    private let brain: BotBrain
    /// Each player's view, by player id.
    private(set) var views: [Int: ClientMirror] = [:]
    /// The whole state, as a spectator is sent it, at the same tick as `views`.
    let whole: ClientMirror
    /// The events each player was sent over the match, by player id.
    private(set) var heard: [Int: [(name: String, to: Int)]] = [:]
    /// Entities that came into some player's view after its first tick, and
    /// that left one, counted over all players.
    private(set) var arrived = 0, left = 0

    init(players: Int, seed: Int64, params: [String: MatchParameter] = [:]) throws {
        let game = try world()
        schema = game.schema
        whole = ClientMirror(schema: schema)
        var options = MatchOptions(seed: seed, params: params)
        options.failurePolicy = .endMatch(afterFailures: 1)
        session = try MatchSession(game: game, options: options)
        brain = try BotBrain(game: game, seed: seed)
        for p in 1...players {
            try #require(session.apply(.join(name: "bot\(p)", account: nil)) == .joined(player: p))
            brain.add(playerID: p, name: "bot\(p)")
            views[p] = ClientMirror(schema: schema)
        }
    }

    deinit { session.end() }

    var match: Match { session.match }

    /// Each player's view and the whole state of the tick that ran last
    /// are decoded, each bot moves on its view, then one tick runs.
    func step() throws {
        _ = try whole.apply(match.frame(baseline: whole.state?.tick, audience: .everyone))
        for id in views.keys.sorted() {
            let mirror = views[id]!
            if mirror.state != nil {
                mirror.onAdded = { [unowned self] _ in arrived += 1 }
                mirror.onRemoved = { [unowned self] _ in left += 1 }
            }
            let snapshot = try mirror.apply(match.frame(baseline: mirror.state?.tick, audience: .player(id)))
            for event in snapshot.events {
                heard[id, default: []].append((schema.events[Int(event.kind)].name, event.to))
            }
            brain.observe(snapshot)
            if let input = brain.think(playerID: id).input {
                session.apply(.input(player: id, sequence: UInt32(match.tick + 1), values: input))
            }
        }
        session.step()
    }

    /// Player `id`'s blob as their own view holds it.
    func blob(of id: Int) -> EntityView? {
        views[id]!.entities.first { $0.kind == "blob" && $0["owner"] == .number(Double(id)) }
    }
}

private func number(_ value: FieldValue?) -> Double {
    if case .number(let n) = value { return n }
    return .nan
}

private func distance(_ a: EntityView, _ b: EntityView) -> Double {
    let dx = number(a["x"]) - number(b["x"]), dy = number(a["y"]) - number(b["y"])
    return (dx * dx + dy * dy).squareRoot()
}

@Suite struct WorldGameTests {
    @Test func sixtyBotsPlayWithoutErrorsTheSameWayForTheSameSeed() throws {
        var run = HeadlessRun(game: try world(), matches: 2, players: 60, ticks: 300, seed: 42)
        run.workers = 2
        let reports = run.run()
        #expect(reports.map(\.stateHash) == run.run().map(\.stateHash), "a seed replays the same matches")
        #expect(Set(reports.map(\.stateHash.value)).count == 2, "each match is seeded apart")
        for report in reports {
            #expect(report.ticks == 300)
            #expect(report.scriptFailures == 0, "\(report.firstScriptFailure ?? "")")
            #expect(report.botErrors == 0, "\(report.firstBotError ?? "")")
            #expect(report.botWarnings.isEmpty, "\(report.botWarnings)")
            guard case .unfinished = report.outcome else { Issue.record("match \(report.index): \(report.outcome)"); continue }
        }
    }

    @Test func blobsEatPelletsThatComeBackAndEachPlayerIsSentOnlyWhatIsNearIt() throws {
        let players = 60, food = 3000
        let world = try WorldMatch(players: players, seed: 7)
        let firstBlob = UInt32(food + 5 + 1)       // ids: the pellets, the leaderboard's rows, then the blobs
        for _ in 0..<300 {
            try world.step()
            guard world.match.tick % 30 == 1, world.match.tick > 1 else { continue }   // views of ticks 30, 60, ...
            let everything = world.whole.entities
            for id in 1...players {
                let seen = world.views[id]!.entities
                let mine = try #require(world.blob(of: id), "player \(id) is sent their own blob")
                let near = everything.filter { ($0.kind == "food" || $0.kind == "blob") && distance($0, mine) <= viewRadius - 0.01 }
                let placed = seen.filter { $0.kind == "food" || $0.kind == "blob" }
                #expect(placed.allSatisfy { distance($0, mine) <= viewRadius + 0.01 },
                        "tick \(world.match.tick - 1): player \(id) is sent something farther than \(viewRadius)")
                #expect(Set(near.map(\.id)).isSubset(of: Set(placed.map(\.id))),
                        "tick \(world.match.tick - 1): player \(id) is sent everything within \(viewRadius)")
                #expect(seen.filter { $0.kind == "leader" }.count == 5, "the leaderboard is sent wherever one is")
                #expect(placed.count < everything.count / 10, "a view is a small part of the map")
                let others = seen.filter { $0.kind == "blob" && $0.id != mine.id }
                #expect(number(mine["rank"]) >= 1 && others.allSatisfy { number($0["rank"]) == 0 },
                        "only a blob's owner is sent its rank")
            }
        }
        let everything = world.whole.entities
        let pellets = everything.filter { $0.kind == "food" }
        #expect(pellets.count == food, "every pellet eaten is replaced")
        let respawned = pellets.filter { $0.id >= firstBlob }.count
        #expect(respawned > 100, "the bots ate pellets: \(respawned) have been replaced")
        let blobs = everything.filter { $0.kind == "blob" }
        #expect(blobs.count == players)
        #expect(blobs.contains { number($0["mass"]) > 20 }, "blobs grow by eating")
        let board = everything.filter { $0.kind == "leader" }.sorted { number($0["rank"]) < number($1["rank"]) }
        let heaviest = blobs.map { number($0["mass"]) }.sorted(by: >).prefix(5)
        #expect(board.map { number($0["mass"]) }.allSatisfy { $0 > 10 } && board.count == 5)
        #expect(zip(board, heaviest).allSatisfy { abs(number($0["mass"]) - $1) <= 1 }, "the board names the heaviest blobs")
        #expect(world.arrived > 1000 && world.left > 1000,
                "what a blob moves towards arrives and what it leaves behind is removed (\(world.arrived) in, \(world.left) out)")
    }

    @Test func aBlobEatenByABiggerOneStartsAgainAndOnlyTheTwoPlayersAreTold() throws {
        // A small, crowded map, so that blobs meet within a few hundred ticks.
        let players = 40
        let world = try WorldMatch(players: players, seed: 3, params: ["size": .number(1500), "food": .number(600)])
        for _ in 0..<400 { try world.step() }
        let blobs = world.whole.entities.filter { $0.kind == "blob" }
        #expect(blobs.count == players, "every player has one blob")
        #expect(Set(blobs.map { number($0["owner"]) }).count == players)
        let eaten = world.heard.values.flatMap { $0 }.filter { $0.name == "eaten" }.count
        let ate = world.heard.values.flatMap { $0 }.filter { $0.name == "ate" }.count
        #expect(eaten > 0 && eaten == ate, "blobs were eaten (\(eaten)), and each eater was told (\(ate))")
        for (id, events) in world.heard {
            #expect(events.allSatisfy { $0.to == id }, "player \(id) hears only events sent to them")
        }
        let newest = blobs.map(\.id).max() ?? 0
        let firstBlob = UInt32(600 + 5 + 1)
        #expect(newest >= firstBlob + UInt32(players), "eaten players came back as new blobs")
    }
}
