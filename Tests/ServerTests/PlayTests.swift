import Client
import Engine
import Foundation
@testable import Server
import Testing
import TestSupport
import WebSocket

/// Players on a live server: joining, playing, seeing each other, leaving,
/// resuming a dropped seat, spectating.
@Suite(.timeLimit(.minutes(1))) struct PlayTests {
    @Test func aPlayerJoinsGetsTheWelcomeAndAFullSnapshotThenDeltas() async throws {
        let live = try await LiveServer()
        defer { Task { await live.stop() } }
        let ann = try await live.connect("/play?game=arena", name: "Ann")
        let welcome = try await ann.welcome
        #expect(welcome.playerID == 1)
        #expect(welcome.tickRate == 30)
        #expect(!welcome.matchID.isEmpty)
        #expect(welcome.resumeToken.utf8.count == 22)
        #expect(welcome.schema.kinds.contains { $0.name == "ship" })
        let first = try #require(try await ann.nextSnapshot())
        #expect(first.header.baselineTick == nil)
        let second = try #require(try await ann.nextSnapshot())
        #expect(second.header.baselineTick == first.header.tick)
        #expect(second.header.tick > first.header.tick)
        let mirror = ClientMirror(schema: welcome.schema)
        _ = try mirror.apply(first.bytes)
        _ = try mirror.apply(second.bytes)
        let ships = mirror.entities.filter { $0.kind == "ship" }
        #expect(ships.count == 1)
        #expect(ships.first?["name"] == .string("Ann"))
        #expect(live.server.directory.summaries().map(\.players) == [1])
    }

    @Test func twoPlayersShareTheFullestMatchAndSeeEachOther() async throws {
        let live = try await LiveServer()
        defer { Task { await live.stop() } }
        let ann = try await live.connect("/play?game=arena", name: "Ann")
        let bob = try await live.connect("/play?game=arena", name: "Bob")
        let (a, b) = (try await ann.welcome, try await bob.welcome)
        #expect(a.matchID == b.matchID)
        #expect(Set([a.playerID, b.playerID]) == [1, 2])
        let mirror = ClientMirror(schema: a.schema)
        let both = try await ann.snapshots(into: mirror) { m in
            m.entities.filter { $0.kind == "ship" }.compactMap { $0["name"] }.count == 2
        }
        #expect(both)
        // A third player asking for that match by id joins it too.
        let cy = try await live.connect("/play?game=arena&match=\(a.matchID)", name: "Cy")
        #expect(try await cy.welcome.matchID == a.matchID)
        #expect(live.server.directory.summaries().count == 1)
    }

    @Test func inputsReachTheGameAndComeBackAsTheLastProcessedSequence() async throws {
        let live = try await LiveServer()
        defer { Task { await live.stop() } }
        let ann = try await live.connect("/play?game=echo", name: "Ann")
        let welcome = try await ann.welcome
        var sent: UInt64 = 0
        for x: Int64 in [3, -2, 7] { sent = try await ann.send(input: [x]) }
        #expect(sent == 3)
        let mirror = ClientMirror(schema: welcome.schema)
        var header: SnapshotHeader?
        for _ in 0..<120 {
            let (h, bytes) = try #require(try await ann.nextSnapshot())
            _ = try mirror.apply(bytes)
            header = h
            if h.lastProcessedInput == sent { break }
        }
        #expect(header?.lastProcessedInput == 3)
        let seat = try #require(mirror.entities.first { $0.kind == "seat" })
        #expect(seat["inputs"] == .number(3))
        #expect(seat["last"] == .number(7))
    }

    @Test func aPlayerWhoLeavesFreesTheSeatAfterTheGracePeriod() async throws {
        let clock = ManualClock()
        let live = try await LiveServer {
            $0.resumeGrace = .seconds(10)
            $0.clock = clock.serverClock
        }
        defer { Task { await live.stop() } }
        let ann = try await live.connect("/play?game=echo", name: "Ann")
        let welcome = try await ann.welcome
        let host = try #require(live.server.directory.host(id: welcome.matchID))
        _ = await ann.close()
        // The match hears of the drop (it forgets the link), on the clock's time.
        #expect(try await eventually { host.links.withLockedValue { $0.isEmpty } })
        // Within the grace period the seat is kept, tick after tick…
        clock.advance(by: .seconds(9))
        let tick = host.summary.tick
        #expect(try await eventually { host.summary.tick >= tick + 3 })
        #expect(live.server.directory.summaries().first?.players == 1)
        // …then game.leave runs at the next tick and the token no longer resumes anything.
        clock.advance(by: .seconds(2))
        #expect(try await eventually { live.server.directory.summaries().first?.players == 0 })
        let late = try await live.connect("/play?resume=\(welcome.resumeToken)")
        let refused = try await late.next()
        guard case .error(let error)? = refused else { Issue.record("expected an error, got \(String(describing: refused))"); return }
        #expect(error.code == .notFound)
        #expect(await late.closed.code?.rawValue == 4010)
    }

    @Test func aMatchNobodyIsInEndsAfterTheEmptyTimeout() async throws {
        let clock = ManualClock()
        let live = try await LiveServer {
            $0.resumeGrace = .zero
            $0.emptyMatchTimeout = .seconds(60)
            $0.clock = clock.serverClock
        }
        defer { Task { await live.stop() } }
        let ann = try await live.connect("/play?game=echo", name: "Ann")
        let welcome = try await ann.welcome
        let host = try #require(live.server.directory.host(id: welcome.matchID))
        _ = await ann.close()
        // Without a grace the seat goes with the connection.
        #expect(try await eventually { host.summary.players == 0 })
        let tick = host.summary.tick
        #expect(try await eventually { host.summary.tick >= tick + 3 })
        clock.advance(by: .seconds(59))
        let later = host.summary.tick
        #expect(try await eventually { host.summary.tick >= later + 3 })
        #expect(live.server.directory.host(id: welcome.matchID) != nil)
        clock.advance(by: .seconds(2))
        #expect(try await eventually { live.server.directory.host(id: welcome.matchID) == nil })
        #expect(!host.summary.running)
    }

    @Test func aPlayerWhoReturnsWithinTheGraceKeepsTheSeatAndGetsAFullSnapshot() async throws {
        // A grace no loaded machine outlasts between the close and the return.
        let live = try await LiveServer { $0.resumeGrace = .seconds(120) }
        defer { Task { await live.stop() } }
        let ann = try await live.connect("/play?game=echo", name: "Ann")
        let bob = try await live.connect("/play?game=echo", name: "Bob")
        let welcome = try await ann.welcome
        _ = try await bob.welcome
        _ = try await ann.send(input: [5])
        _ = await ann.close()
        let again = try await live.connect("/play?resume=\(welcome.resumeToken)")
        let resumed = try await again.welcome
        #expect(resumed.playerID == welcome.playerID)
        #expect(resumed.matchID == welcome.matchID)
        #expect(resumed.resumeToken == welcome.resumeToken)
        let first = try #require(try await again.nextSnapshot())
        #expect(first.header.baselineTick == nil)
        let mirror = ClientMirror(schema: resumed.schema)
        _ = try mirror.apply(first.bytes)
        let mine = mirror.entities.first { $0["player"] == FieldValue.number(Double(welcome.playerID)) }
        #expect(mine?["name"] == FieldValue.string("Ann"))
        #expect(live.server.directory.summaries().first?.players == 2)
    }

    @Test func aResumeTakesTheSeatFromAConnectionStillHoldingIt() async throws {
        let live = try await LiveServer()
        defer { Task { await live.stop() } }
        let ann = try await live.connect("/play?game=echo", name: "Ann")
        let welcome = try await ann.welcome
        let again = try await live.connect("/play?resume=\(welcome.resumeToken)")
        #expect(try await again.welcome.playerID == welcome.playerID)
        #expect(await ann.closed.code?.rawValue == 4006)
    }

    @Test func spectatorsSeeEverythingAndCannotSendInputs() async throws {
        let live = try await LiveServer()
        defer { Task { await live.stop() } }
        let ann = try await live.connect("/play?game=echo", name: "Ann")
        let matchID = try await ann.welcome.matchID
        let eve = try await live.connect("/spectate?match=\(matchID)")
        let welcome = try await eve.welcome
        #expect(welcome.playerID == 0)
        #expect(welcome.resumeToken.isEmpty)
        let mirror = ClientMirror(schema: welcome.schema)
        #expect(try await eve.snapshots(into: mirror) { $0.entities.contains { $0["name"] == .string("Ann") } })
        #expect(live.server.directory.summaries().first?.spectators == 1)
        try await eve.send(bytes: InputMessage(sequence: 1, values: [1]).encode(schema: welcome.schema))
        var error: ErrorMessage?
        while let message = try await eve.next() { if case .error(let e) = message { error = e } }
        #expect(error?.code == .forbidden)
        #expect(await eve.closed.code?.rawValue == 4009)
        // The player goes on.
        #expect(try await ann.nextSnapshot() != nil)
    }

    @Test func unknownGamesAndMatchesAreRefusedWithAReason() async throws {
        let live = try await LiveServer()
        defer { Task { await live.stop() } }
        for path in ["/play?game=chess", "/play?game=arena&match=nope", "/spectate?match=nope"] {
            let c = try await live.connect(path)
            let first = try await c.next()
            guard case .error(let error)? = first else { Issue.record("\(path): expected an error"); continue }
            #expect(error.code == .notFound, "\(path)")
            #expect(await c.closed.code?.rawValue == 4010)
        }
    }
}

@Suite(.timeLimit(.minutes(1))) struct MatchmakingTests {
    @Test func playersJoiningAtOnceFillOneMatchBeforeTheNext() async throws {
        let live = try await LiveServer()
        defer { Task { await live.stop() } }
        // echo seats 2: six players at once make three full matches.
        let welcomes = try await withThrowingTaskGroup(of: (TickwireConnection, Welcome).self) { group in
            for i in 0..<6 {
                group.addTask {
                    let c = try await live.connect("/play?game=echo", name: "p\(i)")
                    return (c, try await c.welcome)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let byMatch = Dictionary(grouping: welcomes.map(\.1), by: \.matchID)
        #expect(byMatch.count == 3)
        #expect(byMatch.values.allSatisfy { Set($0.map(\.playerID)) == [1, 2] })
    }

    @Test func messagesSentRightAfterTheWelcomeAreNotLost() async throws {
        let live = try await LiveServer()
        defer { Task { await live.stop() } }
        for _ in 0..<5 {
            let c = try await live.connect("/play?game=echo")
            _ = try await c.welcome
            try await c.send(bytes: [0x81, 0xff, 0xff, 0xff])
            var error: ErrorMessage?
            while let message = try? await c.next() { if case .error(let e) = message { error = e } }
            #expect(error?.code == .malformed)
        }
    }
}

@Suite(.timeLimit(.minutes(1))) struct AckTests {
    /// The count of `tickwire_ack_delay_seconds` in the server's exposition.
    private func ackCount(_ live: LiveServer) -> Int {
        let text = String(decoding: live.server.metrics.exposition(), as: UTF8.self)
        let line = text.split(separator: "\n").first { $0.hasPrefix("tickwire_ack_delay_seconds_count") }
        return line.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
    }

    @Test func acksOfAppliedTicksFeedTheAckDelayHistogramAndOthersDoNot() async throws {
        // A long history: a test process busy for seconds on a loaded
        // machine reads late, and must not be closed as too slow for it.
        // Nor closed as flooding when it then acks the snapshots it caught up on at once.
        let live = try await LiveServer {
            $0.match.snapshotHistory = 1024
            $0.maxMessagesPerSecond = 100_000
        }
        defer { Task { await live.stop() } }
        let ann = try await live.connect("/play?game=echo")
        _ = try await ann.welcome
        // Ticks never sent are not measured.
        try await ann.send(ack: AckMessage(tick: 1_000_000))
        for _ in 0..<3 { _ = try await ann.nextSnapshot() }
        #expect(ackCount(live) == 0)
        // Each snapshot read is acked. A client that reads late (a busy
        // machine) may be more ticks behind than the server remembers send
        // times for, and those acks are not measured; it catches up, as
        // reading is faster than the ticks, and its acks then count.
        for _ in 0..<900 where ackCount(live) < 10 {
            let (header, _) = try #require(try await ann.nextSnapshot())
            try await ann.send(ack: AckMessage(tick: header.tick))
        }
        #expect(ackCount(live) >= 10)
    }
}

/// A game is served under its folder's name, whatever `game.name` says.
@Suite(.timeLimit(.minutes(1))) struct GameFolderNameTests {
    @Test func matchesAreFoundAndListedUnderTheFolderName() async throws {
        let rules = LiveServer.testGames["echo"]!.replacingOccurrences(of: #"name = "echo""#, with: #"name = "echo_v1""#)
        let live = try await LiveServer(extraGames: ["echo2": rules])
        defer { Task { await live.stop() } }
        let ann = try await live.connect("/play?game=echo2", name: "Ann")
        let match = try await ann.welcome.matchID
        // The second player joins the first's match: matchmaking finds it by the folder's name.
        let bob = try await live.connect("/play?game=echo2", name: "Bob")
        #expect(try await bob.welcome.matchID == match)
        let cy = try await live.connect("/play?game=echo2&match=\(match)", name: "Cy")
        var refusal: ErrorMessage?
        while let message = try? await cy.next() { if case .error(let e) = message { refusal = e } }
        #expect(refusal?.code == .matchFull, "the match is found (and full), not unknown: \(String(describing: refusal))")
        var http = try RawHTTP(port: live.port)
        let listed = try http.exchange("GET /matches?game=echo2 HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(listed.text.contains(#""game":"echo2""#) && listed.text.contains(match), "\(listed.text)")
        let body = #"{"game": "echo2"}"#
        let created = try http.exchange("POST /matches HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        #expect(created.status == 201 && created.text.contains(#""game":"echo2""#), "\(created.text)")
    }
}
