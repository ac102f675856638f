import Testing
import TestSupport
import Bots
import Engine
import Protocol

private func cubesGame() throws -> GameDefinition { try GameDefinition.load(folder: gamesFolder + "/cubes") }

/// games/cubes' scene: a 30 × 30 grid and the player cube.
private let cubeCount = 901

/// One cube of a tick's snapshot, decoded as a client would.
private struct Cube: Equatable {
    let id: UInt32
    /// The quantized integers of its fields, to compare between ticks.
    let stored: [Int64]
    let x, y, z: Double
    let interacting: Bool
}

/// A match of games/cubes, with bot.lua steering the player cube when it
/// has a player, played tick by tick; after each tick the cubes are read
/// from the match's snapshot.
private final class CubesMatch {
    let session: MatchSession
    private let brain: BotBrain
    private let mirror: ClientMirror
    private let players: Int
    private let kind: FieldSet
    private let position, interacting: Int

    init(players: Int, seed: Int64, params: [String: MatchParameter] = [:]) throws {
        let game = try cubesGame()
        var options = MatchOptions(seed: seed, params: params)
        options.failurePolicy = .endMatch(afterFailures: 1)
        session = try MatchSession(game: game, options: options)
        brain = try BotBrain(game: game, seed: seed)
        mirror = ClientMirror(schema: game.schema)
        self.players = players
        kind = try #require(game.schema.kind(named: "cube"))
        #expect(kind.fields.map(\.name).sorted() == ["interacting", "orientation", "position"],
                "a cube is sent exactly Fiedler's three fields")
        position = try #require(kind.fields.firstIndex { $0.name == "position" })
        interacting = try #require(kind.fields.firstIndex { $0.name == "interacting" })
        for p in stride(from: 1, through: players, by: 1) {
            try #require(session.apply(.join(name: "bot\(p)", account: nil)) == .joined(player: p))
            brain.add(playerID: p, name: "bot\(p)")
        }
    }

    deinit { session.end() }

    var match: Match { session.match }

    /// The bot moves on the state of the last tick, as it would over the wire; then one tick runs.
    func step() throws {
        if players > 0 {
            brain.observe(try mirror.apply(match.frame(baseline: mirror.state?.tick, audience: .everyone)))
            if let input = brain.think(playerID: 1).input {
                session.apply(.input(player: 1, sequence: UInt32(match.tick + 1), values: input))
            }
        }
        #expect(session.step(), "tick \(match.tick) runs")
        #expect(match.failureCount == 0, "\(match.failures.first?.description ?? "")")
    }

    /// The cubes of the last tick, in id order.
    func read() throws -> [Cube] {
        let snapshot = try #require(match.snapshots.latest)
        return snapshot.entities.map { entity in
            let stored = Array(snapshot.fields(at: entity.offset, count: kind.fields.count))
            guard case .vector(let x, let y, let z) = FieldValue(stored[position], type: kind.fields[position].type,
                                                                 strings: snapshot.strings)
            else { return Cube(id: entity.id, stored: stored, x: .nan, y: .nan, z: .nan, interacting: false) }
            return Cube(id: entity.id, stored: stored, x: x, y: y, z: z, interacting: stored[interacting] != 0)
        }
    }

    /// The player cube's id, as the match field `player_cube` says.
    var playerCube: UInt32? {
        guard let snapshot = match.snapshots.latest else { return nil }
        return UInt32(truncatingIfNeeded: snapshot.match[0])
    }
}

/// Whether a cube lies where the rules keep cubes: inside the declared
/// range and not pressed against its ends, never under the ground.
private func inRange(_ c: Cube) -> Bool {
    abs(c.x) < 250.01 && abs(c.y) < 250.01 && c.z >= 0.49 && c.z <= 31.01
}

@Suite struct CubesGameTests {
    @Test func theSceneIsAGridOfNineHundredCubesAtRestAndThePlayerCube() throws {
        let scene = try CubesMatch(players: 1, seed: 1)
        let cubes = try scene.read()
        #expect(cubes.count == cubeCount)
        #expect(scene.playerCube == 1, "the player cube is spawned first")
        let grid = cubes.filter { $0.id != 1 }
        #expect(grid.allSatisfy { abs($0.z - 0.5) < 0.002 && !$0.interacting }, "the grid rests on the ground")
        #expect(Set(grid.map { "\($0.x),\($0.y)" }).count == 900, "one cube on each spot of the grid")
        #expect(grid.allSatisfy { abs($0.x) < 23 && abs($0.y) < 23 })
    }

    @Test func thePlayerCubeKnocksCubesThatComeToRestAndTheRestDoNotChange() throws {
        let scene = try CubesMatch(players: 1, seed: 7)
        var previous = try scene.read()
        var knocked = Set<UInt32>()            // position changed and interacting was seen
        var knockedEarly = Set<UInt32>()       // ... in the first 5 s
        var changedMost = 0
        for _ in 0..<1200 {                    // 20 s at 60 Hz
            try scene.step()
            let now = try scene.read()
            #expect(now.count == cubeCount)
            var changed = 0
            for (a, b) in zip(previous, now) where a.id != 1 {
                if a.stored != b.stored { changed += 1 }
                if b.interacting && (a.x != b.x || a.y != b.y || a.z != b.z) {
                    knocked.insert(b.id)
                    if scene.match.tick <= 300 { knockedEarly.insert(b.id) }
                }
            }
            changedMost = max(changedMost, changed)
            let outside = now.filter { !inRange($0) }
            #expect(outside.isEmpty, "tick \(scene.match.tick): cubes out of range: \(outside.prefix(3))")
            previous = now
        }
        #expect(changedMost < cubeCount / 8, "most cubes are unchanged from one tick to the next (at most \(changedMost) changed)")
        #expect(knocked.count > 200, "the sweep knocks cubes (\(knocked.count) in 20 s)")
        #expect(knockedEarly.count > 50, "\(knockedEarly.count) knocked in the first 5 s")

        // One more tick: the cubes knocked early that rest now are the same on both ticks.
        let last = previous
        try scene.step()
        let now = try scene.read()
        let resting = zip(last, now).filter { knockedEarly.contains($0.0.id) && !$0.1.interacting && $0.0 == $0.1 }
        #expect(resting.count >= knockedEarly.count * 9 / 10,
                "cubes knocked in the first 5 s have come to rest (\(resting.count) of \(knockedEarly.count))")
        let moved = resting.filter { c in abs(c.1.z - 0.5) > 0.002 }
        #expect(moved.isEmpty, "a cube at rest lies on the ground: \(moved.prefix(3).map(\.1))")
    }

    @Test func withNobodySeatedThePlayerCubeSweepsByItself() throws {
        let scene = try CubesMatch(players: 0, seed: 3)
        let start = try scene.read()
        for _ in 0..<300 { try scene.step() }
        let now = try scene.read()
        let player = try #require(now.first), before = try #require(start.first)
        #expect((player.x - before.x) * (player.x - before.x) + (player.y - before.y) * (player.y - before.y) > 100,
                "the player cube has moved on its own")
        let disturbed = zip(start, now).filter { $0.0.id != 1 && $0.0.stored != $0.1.stored }.count
        #expect(disturbed > 50, "it knocked cubes (\(disturbed) moved)")
    }

    @Test func whenTheyDriftEveryCubeChangesEveryTick() throws {
        let scene = try CubesMatch(players: 1, seed: 5, params: ["drift": .number(1)])
        var previous = try scene.read()
        for _ in 0..<300 {
            try scene.step()
            let now = try scene.read()
            let still = zip(previous, now).filter { $0.0.stored == $0.1.stored }.map(\.0.id)
            #expect(still.isEmpty, "tick \(scene.match.tick): cubes \(still.prefix(5)) did not change")
            #expect(now.allSatisfy { abs($0.x) <= 22.51 && abs($0.y) <= 22.51 && inRange($0) })
            previous = now
        }
    }

    @Test func botMatchesRunWithoutErrorsTheSameWayForTheSameSeed() throws {
        var run = HeadlessRun(game: try cubesGame(), matches: 2, players: 1, ticks: 600, seed: 42)
        run.workers = 2
        let reports = run.run()
        #expect(reports.map(\.stateHash) == run.run().map(\.stateHash), "a seed replays the same matches")
        for report in reports {
            #expect(report.ticks == 600)
            #expect(report.scriptFailures == 0, "\(report.firstScriptFailure ?? "")")
            #expect(report.botErrors == 0, "\(report.firstBotError ?? "")")
            #expect(report.botWarnings.isEmpty, "\(report.botWarnings)")
        }
    }
}
