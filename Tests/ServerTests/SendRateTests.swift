import Client
import Engine
import Foundation
@testable import Server
import Testing
import TestSupport

/// `game.send_rate` from the players' side: the seating's fan-out and the
/// match's frames put together as `MatchHost.fanOut` does, with the match
/// stepped directly (no clock, no socket), each link decoding its frames
/// with a client mirror; then once on a live server.
@Suite struct SendRateTests {
    /// Every tick: a broadcast `tick` event carrying the tick, and a private
    /// `mine` event to each player on odd ticks; `game.join` broadcasts
    /// `hello`. Each player's dot moves by its input, whenever one comes.
    static func game(sendRate: Int?) -> String {
        """
        local game = { name = "rated", tick_rate = 60, max_players = 4 }
        \(sendRate.map { "game.send_rate = \($0)" } ?? "")
        game.state = { dot = { owner = "u8", x = { "fixed", -100000, 100000, 1 } } }
        game.input = { dx = "i8" }
        game.events = { tick = { n = "u16" }, mine = { n = "u16" }, hello = { who = "u8" } }
        local dots = {}
        function game.join(match, player)
          dots[player.id] = match:spawn("dot", { owner = player.id, x = 0 })
          match:broadcast("hello", { who = player.id })
        end
        function game.tick(match, inputs)
          for id, input in pairs(inputs) do dots[id].x = dots[id].x + input.dx end
          match:broadcast("tick", { n = match.tick })
          if match.tick % 2 == 1 then
            for id in pairs(dots) do match:send(id, "mine", { n = match.tick }) end
          end
        end
        return game
        """
    }

    /// One link's side: its mirror, the ticks of its frames, its events.
    final class Receiver {
        let mirror: ClientMirror
        var ticks: [Int] = []
        var events: [String] = []
        /// Per frame: the tick and the last processed input the header gave.
        var inputs: [(tick: Int, lastInput: UInt64)] = []

        init(welcome: [UInt8]) throws {
            mirror = try ClientMirror(welcome: welcome)
            mirror.onEvent = { [unowned self] event in
                switch (event.name, event["n"], event["who"]) {
                case (let name, .number(let n)?, _): events.append("\(name) \(Int(n))")
                case (let name, _, .number(let who)?): events.append("\(name) \(Int(who))")
                default: events.append(event.name)
                }
            }
        }

        func apply(_ frame: [UInt8]) throws {
            let state = try mirror.apply(frame)
            ticks.append(state.tick)
            inputs.append((state.tick, mirror.lastProcessedInput))
        }
    }

    /// A match and its seating, stepped by hand: what `MatchHost` does.
    struct Table {
        let match: Match
        var seating: MatchSeating
        var receivers: [Int: Receiver] = [:]

        init(sendRate: Int?) throws {
            let game = try GameFixture(game: SendRateTests.game(sendRate: sendRate)).load()
            match = try Match(game: game)
            seating = MatchSeating(settings: MatchSeating.Settings(maxPlayers: 4, maxSpectators: 4, resumeGrace: .seconds(10),
                                                                   emptyTimeout: nil, sendSchedule: game.sendSchedule))
        }

        mutating func join(link: Int) throws -> Int {
            guard case .join(let request) = seating.admit(.player(name: "p\(link)", account: nil), link: link, tick: match.tick),
                  case .joined(let id) = match.join(name: request.name) else { throw GameError(location: nil, message: "no seat") }
            _ = seating.joined(request, outcome: .joined(player: id), token: "t\(link)", tick: match.tick)
            receivers[link] = try Receiver(welcome: match.welcome(playerID: id, matchID: "m"))
            return id
        }

        mutating func watch(link: Int) throws {
            _ = seating.admit(.spectator(follow: nil), link: link, tick: match.tick)
            receivers[link] = try Receiver(welcome: match.welcome(playerID: 0, matchID: "m"))
        }

        /// One tick: each player's input (sequence = the tick it is for),
        /// the step, and the frames the seating hands out.
        mutating func step(inputs players: [Int]) throws {
            for id in players { match.submit(input: [1], from: id, sequence: UInt32(match.tick + 1)) }
            match.step()
            let plan = seating.fanOut(tick: match.tick, history: match.snapshots.capacity, now: .zero) { _ in true }
            for d in plan.deliveries {
                try receivers[d.link]!.apply(match.frame(baseline: d.baseline, prior: d.prior, eventsAfter: d.eventsAfter,
                                                         audience: d.audience, viewer: d.viewer))
            }
        }
    }

    /// The events a link attached after tick `since` should see through
    /// tick `last`, in order: for player `id` (0: a spectator).
    static func expectedEvents(since: Int, through last: Int, player id: Int, joins: [(tick: Int, player: Int)]) -> [String] {
        (since + 1...last).flatMap { t -> [String] in
            var events = joins.filter { $0.tick + 1 == t }.map { "hello \($0.player)" }
            events.append("tick \(t)")
            if id != 0, t % 2 == 1 { events.append("mine \(t)") }
            return events
        }
    }

    @Test func atTwentyOfSixtyPlayersGetEveryThirdTickAndEveryEventOnce() throws {
        var table = try Table(sendRate: 20)
        let ann = try table.join(link: 1)
        var bob = 0
        for _ in 1...120 {
            // Bob comes between two sends (after tick 31), a spectator after 40.
            if table.match.tick == 31 { bob = try table.join(link: 2) }
            if table.match.tick == 40 { try table.watch(link: 3) }
            try table.step(inputs: bob == 0 ? [ann] : [ann, bob])
        }
        let (a, b, s) = (table.receivers[1]!, table.receivers[2]!, table.receivers[3]!)
        #expect(a.ticks == Array(stride(from: 3, through: 120, by: 3)))
        #expect(b.ticks == Array(stride(from: 33, through: 120, by: 3)))
        #expect(s.ticks == Array(stride(from: 42, through: 120, by: 3)))

        // Every event exactly once, in order, the skipped ticks' included:
        // broadcast and private, and what game.join did before a first frame.
        let joins = [(tick: 0, player: ann), (tick: 31, player: bob)]
        #expect(a.events == Self.expectedEvents(since: 0, through: 120, player: ann, joins: joins))
        #expect(b.events == Self.expectedEvents(since: 31, through: 120, player: bob, joins: joins))
        #expect(s.events == Self.expectedEvents(since: 40, through: 120, player: 0, joins: joins))

        // Inputs apply every tick: the header's last processed input is the
        // frame's tick's, and each dot moved once per tick.
        #expect(a.inputs.allSatisfy { $0.lastInput == UInt64($0.tick) }, "\(a.inputs)")
        #expect(b.inputs.allSatisfy { $0.lastInput == UInt64($0.tick) }, "\(b.inputs)")
        #expect(s.inputs.allSatisfy { $0.lastInput == 0 })
        let xs = a.mirror.entities.compactMap { e -> Double? in if case .number(let x)? = e["x"] { x } else { nil } }.sorted()
        #expect(xs == [120 - 31, 120])
        for receiver in [a, b, s] { #expect(receiver.mirror.state!.hasSameState(as: table.match.snapshots.latest!, schema: table.match.schema)) }
    }

    /// A reload between two sends (here the seating's side of one, on the
    /// same match): the next frame is full and loses no event.
    @Test func aReloadBetweenSendsLosesNoEvent() throws {
        var table = try Table(sendRate: 20)
        let ann = try table.join(link: 1)
        try table.watch(link: 3)
        for _ in 1...60 {
            if table.match.tick == 31 {
                _ = table.seating.rulesReloaded(maxPlayers: 4, schemaChanged: false, sendSchedule: table.match.game.sendSchedule) { _ in true }
            }
            try table.step(inputs: [ann])
        }
        #expect(table.receivers[1]!.ticks == Array(stride(from: 3, through: 60, by: 3)))
        #expect(table.receivers[1]!.events == Self.expectedEvents(since: 0, through: 60, player: ann, joins: [(0, ann)]))
        #expect(table.receivers[3]!.events == Self.expectedEvents(since: 0, through: 60, player: 0, joins: [(0, ann)]))
    }

    @Test func withoutASendRateFramesGoOutEveryTick() throws {
        var table = try Table(sendRate: nil)
        #expect(table.match.game.sendRate == 60)
        let ann = try table.join(link: 1)
        try table.watch(link: 3)
        for _ in 1...30 { try table.step(inputs: [ann]) }
        #expect(table.receivers[1]!.ticks == Array(1...30))
        #expect(table.receivers[3]!.ticks == Array(1...30))
        #expect(table.receivers[1]!.events == Self.expectedEvents(since: 0, through: 30, player: ann, joins: [(0, ann)]))
        #expect(table.receivers[1]!.inputs.allSatisfy { $0.lastInput == UInt64($0.tick) })
    }

    /// A rate that does not divide the tick rate: 25 of 60 sends on the
    /// ticks where ⌊tick · 25 / 60⌋ changes, still every event once.
    @Test func anUnevenRateSpreadsItsSendsAndLosesNoEvent() throws {
        var table = try Table(sendRate: 25)
        let ann = try table.join(link: 1)
        for _ in 1...120 { try table.step(inputs: [ann]) }
        let a = table.receivers[1]!
        #expect(a.ticks == (1...120).filter { $0 * 25 / 60 != ($0 - 1) * 25 / 60 })
        #expect(a.ticks.count == 50)
        #expect(a.events == Self.expectedEvents(since: 0, through: 120, player: ann, joins: [(0, ann)]))
    }

    /// A game that sends one tick in 120 keeps enough history for that.
    @Test func theHistoryHoldsTwoSendsOfTheSlowestRate() throws {
        let game = try GameFixture(game: Self.game(sendRate: 1).replacingOccurrences(of: "tick_rate = 60", with: "tick_rate = 120")).load()
        #expect(game.sendSchedule.longestGap == 120)
        #expect(try Match(game: game).snapshots.capacity == 242)
        #expect(try Match(game: GameFixture(game: Self.game(sendRate: 20)).load()).snapshots.capacity == 64)
    }

    /// On a live server: every snapshot a player and a spectator get is of a
    /// send tick, and the broadcast events run without a gap or a repeat.
    @Test(.timeLimit(.minutes(1))) func aLiveServerSendsAtTheGamesRate() async throws {
        let live = try await LiveServer(extraGames: ["rated": Self.game(sendRate: 20)])
        defer { Task { await live.stop() } }
        let player = try await live.connect("/play?game=rated", name: "ann")
        let matchID = try await player.welcome.matchID
        let spectator = try await live.connect("/spectate?match=\(matchID)")
        for connection in [player, spectator] {
            let mirror = ClientMirror(schema: try await connection.welcome.schema)
            var ticks: [Int] = [], heard: [Int] = []
            mirror.onEvent = { event in
                if event.name == "tick", case .number(let n)? = event["n"] { heard.append(Int(n)) }
            }
            for _ in 0..<12 {
                guard let (_, frame) = try await connection.nextSnapshot() else { break }
                ticks.append(try mirror.apply(frame).tick)
            }
            #expect(ticks.count == 12)
            #expect(ticks.allSatisfy { $0 % 3 == 0 }, "\(ticks)")
            #expect(heard.last == ticks.last)
            #expect(heard == Array(heard.first!...heard.last!), "\(heard)")
        }
        _ = await player.close()
        _ = await spectator.close()
    }
}
