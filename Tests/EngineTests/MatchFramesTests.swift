import Testing
import TestSupport
@testable import Engine

/// Frames as players receive them: decoded by a client mirror, they must give
/// exactly the server's state, with the state delta shared per baseline.
@Suite struct MatchFramesTests {
    let game = """
        local game = { tick_rate = 20, max_players = 4 }
        game.state = {
          match = { round = "u8", label = { "string", 8 } },
          dot = { x = { "fixed", -100, 100, 0.25 }, name = { "string", 8 }, on = "bool" },
        }
        game.input = { dx = "i8" }
        game.events = { ping = { n = "u8" } }
        local dots = {}
        function game.join(match, player)
          dots[player.id] = match:spawn("dot", { x = 0, name = player.name, on = true })
        end
        function game.tick(match, inputs, dt)
          match.round = match.tick % 7
          match.label = "r" .. match.round
          for id, input in pairs(inputs) do dots[id].x = dots[id].x + input.dx end
          if match.tick % 3 == 0 then match:broadcast("ping", { n = match.tick % 200 }) end
          if match.tick % 4 == 0 then match:send(1, "ping", { n = 1 }) end
          if match.tick % 5 == 0 then match:spawn("dot", { x = match.tick % 90, name = "x" }) end
          for d in match:each("dot") do if d.name == "x" and match:random() < 0.3 then match:despawn(d) end end
        end
        return game
        """

    @Test func mirrorsFollowTheServerStateTickByTick() throws {
        let fixture = try GameFixture(game: game)
        let match = try Match(game: fixture.load(), options: MatchOptions(seed: 3))
        #expect(match.join(name: "ann") == .joined(playerID: 1))
        #expect(match.join(name: "bob") == .joined(playerID: 2))
        let ann = try ClientMirror(welcome: match.welcome(playerID: 1, matchID: "m1"))
        let spectator = try ClientMirror(welcome: match.welcome(playerID: 0, matchID: "m1"))
        var annEvents: [Int] = [], spectatorEvents: [Int] = []
        ann.onEvent = { annEvents.append(Int(truncatingIfNeeded: $0["n"].flatMap { if case .number(let n) = $0 { Int(n) } else { nil } } ?? -1)) }
        spectator.onEvent = { _ in spectatorEvents.append(0) }
        for t in 1...40 {
            match.submit(input: [Int64(t % 5) - 2], from: 1, sequence: UInt32(t))
            match.step()
            let server = try #require(match.snapshots.latest)
            try ann.apply(match.frame(baseline: ann.state?.tick, prior: ann.previous?.tick, audience: .player(1)))
            // The spectator skips ticks: its deltas, and its predictions,
            // span several ticks.
            if t % 3 == 0 {
                try spectator.apply(match.frame(baseline: spectator.state?.tick, prior: spectator.previous?.tick, audience: .spectator))
            }
            #expect(ann.state!.hasSameState(as: server, schema: match.schema))
            #expect(ann.lastProcessedInput == UInt64(t))
            if t % 3 == 0 { #expect(spectator.state!.hasSameState(as: server, schema: match.schema)) }
        }
        #expect(annEvents.contains(1))               // a private event reached its player
        #expect(spectatorEvents.count < annEvents.count)
    }

    @Test func aClientThatSkippedTicksGetsEveryEventItMissed() throws {
        let fixture = try GameFixture(game: game)
        let match = try Match(game: fixture.load(), options: MatchOptions(seed: 3))
        _ = match.join(name: "ann")
        let every = try ClientMirror(welcome: match.welcome(playerID: 1, matchID: "m"))
        let skipping = try ClientMirror(welcome: match.welcome(playerID: 1, matchID: "m"))
        var everyEvents: [String] = [], skippingEvents: [String] = []
        func note(_ event: EventView) -> String { "\(event.name) \(String(describing: event["n"]))" }
        every.onEvent = { everyEvents.append(note($0)) }
        skipping.onEvent = { skippingEvents.append(note($0)) }
        for t in 1...60 {
            match.step()
            try every.apply(match.frame(baseline: every.state?.tick, audience: .player(1)))
            // Socket full for 9 ticks out of 10: one catch-up delta each time.
            if t == 1 || t % 10 == 0 { try skipping.apply(match.frame(baseline: skipping.state?.tick, audience: .player(1))) }
        }
        #expect(everyEvents.count > 20)
        #expect(skippingEvents == everyEvents)
    }

    /// A first frame (no baseline) names the tick its link was attached at:
    /// with a send rate, ticks pass before it, and their events come with it.
    @Test func aFirstFrameCarriesTheEventsSinceItsLinkWasAttached() throws {
        let fixture = try GameFixture(game: game)
        let match = try Match(game: fixture.load(), options: MatchOptions(seed: 3))
        _ = match.join(name: "ann")
        for _ in 1...4 { match.step() }
        let attached = match.tick
        let late = try ClientMirror(welcome: match.welcome(playerID: 1, matchID: "m"))
        let plain = try ClientMirror(welcome: match.welcome(playerID: 1, matchID: "m"))
        var lateEvents: [String] = [], plainEvents: [String] = []
        func note(_ event: EventView) -> String {
            if case .number(let n)? = event["n"] { "\(event.name) \(Int(n))" } else { event.name }
        }
        late.onEvent = { lateEvents.append(note($0)) }
        plain.onEvent = { plainEvents.append(note($0)) }
        for _ in 1...4 { match.step() }          // ticks 5...8: a broadcast at 6, a private event at 8
        try late.apply(match.frame(baseline: nil, eventsAfter: attached, audience: .player(1)))
        try plain.apply(match.frame(baseline: nil, audience: .player(1)))
        #expect(lateEvents == ["ping 6", "ping 1"])
        // Without it, only the frame's own tick's events (as before).
        #expect(plainEvents == ["ping 1"])
        // A tick no older than the one before the frame changes nothing.
        #expect(match.frame(baseline: nil, eventsAfter: match.tick - 1, audience: .player(1))
                == match.frame(baseline: nil, audience: .player(1)))
    }

    @Test func playersOnOneBaselineShareOneEncode() throws {
        let fixture = try GameFixture(game: game)
        let match = try Match(game: fixture.load())
        _ = match.join(name: "a"); _ = match.join(name: "b"); _ = match.join(name: "c")
        for _ in 1...3 { match.step() }
        let a = match.frame(baseline: 2, audience: .player(2))
        let b = match.frame(baseline: 2, audience: .player(3))
        #expect(match.stateEncodesThisTick == 1)
        #expect(a == b)
        _ = match.frame(baseline: 1, audience: .player(2))
        _ = match.frame(baseline: nil, audience: .player(2))
        #expect(match.stateEncodesThisTick == 3)
        match.step()
        #expect(match.stateEncodesThisTick == 0)
    }

    /// The encode is shared per (baseline, prior): players who read every
    /// tick share one; another prior is another encode, and names its tick.
    @Test func playersOnOneBaselineAndPriorShareOneEncode() throws {
        let fixture = try GameFixture(game: game)
        let match = try Match(game: fixture.load(), options: MatchOptions(snapshotHistory: 8))
        _ = match.join(name: "a"); _ = match.join(name: "b"); _ = match.join(name: "c")
        for _ in 1...5 { match.step() }
        let a = match.frame(baseline: 4, prior: 3, audience: .player(2))
        let b = match.frame(baseline: 4, prior: 3, audience: .player(3))
        #expect(a == b)
        #expect(match.stateEncodesThisTick == 1)
        let c = match.frame(baseline: 4, prior: 2, audience: .player(2))
        #expect(match.stateEncodesThisTick == 2)
        #expect(try SnapshotHeader(a).priorTick == 3)
        #expect(try SnapshotHeader(c).priorTick == 2)
        // A prior no older than the baseline, or that left the ring, is not used.
        #expect(try SnapshotHeader(match.frame(baseline: 4, prior: 4, audience: .player(2))).priorTick == nil)
        for _ in 1...8 { match.step() }
        let late = match.frame(baseline: match.tick - 1, prior: 1, audience: .player(2))
        #expect(try SnapshotHeader(late).priorTick == nil)
        #expect(try SnapshotHeader(late).baselineTick == match.tick - 1)
    }

    @Test func aBaselineThatLeftTheRingGetsAFullSnapshot() throws {
        let fixture = try GameFixture(game: game)
        let match = try Match(game: fixture.load(), options: MatchOptions(snapshotHistory: 4))
        _ = match.join(name: "a")
        let mirror = try ClientMirror(welcome: match.welcome(playerID: 1, matchID: "m"))
        match.step()
        try mirror.apply(match.frame(baseline: nil, audience: .player(1)))
        for _ in 1...10 { match.step() }
        let frame = match.frame(baseline: mirror.state?.tick, audience: .player(1))
        let decoded = try SnapshotMessage.decode(frame, baseline: mirror.state, coding: match.coding)
        #expect(decoded.baselineTick == nil)
        #expect(decoded.snapshot.hasSameState(as: match.snapshots.latest!, schema: match.schema))
    }

    @Test func welcomeCarriesTheSchema() throws {
        let fixture = try GameFixture(game: game)
        let match = try Match(game: fixture.load())
        let welcome = try Welcome.decode(match.welcome(playerID: 2, matchID: "abc", resumeToken: "t"))
        #expect(welcome.schema == match.schema)
        #expect(welcome.playerID == 2 && welcome.matchID == "abc" && welcome.tickRate == 20 && welcome.resumeToken == "t")
    }
}

