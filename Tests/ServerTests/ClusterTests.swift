import Client
import Cluster
import Engine
import Foundation
import Protocol
@testable import Server
import Testing
import TestSupport

/// Servers as nodes of a cluster on a real PostgreSQL (a throwaway server of
/// the test's own): the schema migrates once whoever starts first, every
/// node lists every live node's matches, a node that stops leaves nothing
/// behind, and a database that goes away pauses no match.
@Suite(.serialized, .timeLimit(.minutes(3))) struct ClusterTests {
    /// Four seats, no lock: matchmaking alone decides who sits where.
    static let table = """
        local game = { name = "table", tick_rate = 20, max_players = 4 }
        game.state = { match = { seated = "u8" } }
        function game.init(match) match.seated = 0 end
        function game.join(match, player) match.seated = match.seated + 1 end
        function game.leave(match, player) match.seated = match.seated - 1 end
        function game.tick(match) end
        return game
        """

    /// A node of a cluster on `database`, beating fast so tests wait little.
    /// Nodes count as gone after `nodeTimeout`: long enough that a busy
    /// machine's late heartbeat does not drop a live node.
    static func node(_ postgres: TestPostgres, database: String, nodeTimeout: Duration = .seconds(6),
                     games: [String: String] = ["table": table], hotReload: Bool = false) async throws -> LiveServer {
        try await LiveServer(extraGames: games) { config in
            config.hotReload = hotReload
            config.cluster = try? ClusterDatabaseURL(postgres.url(database: database) + "?sslmode=disable")
            config.clusterHeartbeat = .milliseconds(200)
            config.clusterNodeTimeout = nodeTimeout
            // A stopped node leaves with its matches (they end), as a single server's do.
            config.clusterStop = .end
            // The test process's own threads may be busy for seconds on a loaded machine.
            config.clusterJoinTimeout = .seconds(60)
        }
    }

    /// Three nodes of a cluster on a new `database`, started at once (so
    /// they migrate its schema together).
    static func threeNodes(_ postgres: TestPostgres, database: String) async throws -> [LiveServer] {
        try await onOwnThread { try postgres.createDatabase(database) }
        async let a = node(postgres, database: database)
        async let b = node(postgres, database: database)
        async let c = node(postgres, database: database)
        return try await [a, b, c]
    }

    /// `GET path`'s status and body.
    static func get(_ server: LiveServer, _ path: String) async throws -> (status: Int, body: [UInt8]) {
        let port = server.port
        return try await onOwnThread {
            let answer = try RawHTTP(port: port).exchange("GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n")
            return (answer.status, answer.body)
        }
    }

    static func create(_ server: LiveServer, game: String = "arena") async throws -> String {
        let body = #"{"game":"\#(game)"}"#
        let port = server.port
        let answer = try await onOwnThread { try RawHTTP(port: port).exchange("POST /matches HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)").body }
        let json = try JSONDecoder().decode(MatchSummary.self, from: Data(answer))
        return json.id
    }

    static func listing(_ server: LiveServer) async throws -> [MatchSummary]? {
        let answer = try await get(server, "/matches")
        guard answer.status == 200 else { return nil }
        return try JSONDecoder().decode([MatchSummary].self, from: Data(answer.body))
    }

    /// Waits, bounded, until `condition` holds (heartbeats are asynchronous).
    static func eventually(_ what: String, within limit: Duration = .seconds(20),
                           _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("not within \(limit): \(what)")
        throw CancellationError()
    }

    @Test func threeNodesMigrateOnceAndEachListsEveryNodesMatches() async throws {
        guard let postgres = try await onOwnThread({ try TestPostgres.start() }) else { return }
        defer { Thread { postgres.stop() }.start() }
        let nodes = try await Self.threeNodes(postgres, database: "three")
        defer { Task { for node in nodes { await node.stop() } } }
        #expect(try await onOwnThread { try postgres.psql("SELECT version FROM tickwire_schema ORDER BY version", database: "three") } == "1\n2\n3\n4\n")
        #expect(try await onOwnThread { try postgres.psql("SELECT count(*) FROM tickwire_nodes", database: "three") } == "3\n")

        var owner: [String: String] = [:]
        for node in nodes { owner[try await Self.create(node)] = "ws://127.0.0.1:\(node.port)" }
        for node in nodes {
            try await Self.eventually("node \(node.port) lists the three matches") {
                guard let listed = try await Self.listing(node) else { return false }
                return Dictionary(listed.map { ($0.id, $0.node ?? "") }, uniquingKeysWith: { a, _ in a }) == owner
            }
        }
        try await Self.eventually("/metrics counts three live nodes and their three matches") {
            let text = String(decoding: try await Self.get(nodes[0], "/metrics").body, as: UTF8.self)
            return text.contains("tickwire_cluster_nodes 3") && text.contains("tickwire_cluster_matches 3")
                && text.contains("tickwire_cluster_database_reachable 1")
        }
        // scope=node: this node's own match alone.
        let own = try JSONDecoder().decode([MatchSummary].self, from: Data(try await Self.get(nodes[0], "/matches?scope=node").body))
        #expect(own.count == 1 && owner[own[0].id] == "ws://127.0.0.1:\(nodes[0].port)")

        // A node that stops leaves the cluster with its matches.
        await nodes[2].stop()
        #expect(try await onOwnThread { try postgres.psql("SELECT count(*) FROM tickwire_nodes", database: "three") } == "2\n")
        try await Self.eventually("the stopped node's match leaves the listing") {
            try await Self.listing(nodes[0])?.count == 2
        }
        for node in nodes { await node.stop() }
    }

    /// What `POST /matchmake` answers.
    typealias Seat = MatchmakeAnswer

    struct Refused: Error, CustomStringConvertible { let description: String }

    /// `POST /matchmake`'s status and body.
    static func matchmake(_ server: LiveServer, game: String, labels: String? = nil) async throws -> (status: Int, body: [UInt8]) {
        let body = labels.map { #"{"game":"\#(game)","labels":\#($0)}"# } ?? #"{"game":"\#(game)"}"#
        let port = server.port
        return try await onOwnThread {
            let answer = try RawHTTP(port: port).exchange("POST /matchmake HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
            return (answer.status, answer.body)
        }
    }

    @Test func matchmakingFromThreeNodesAtOnceFillsMatchesOneAtATimeAndTheSeatsHold() async throws {
        guard let postgres = try await onOwnThread({ try TestPostgres.start() }) else { return }
        defer { Thread { postgres.stop() }.start() }
        let nodes = try await Self.threeNodes(postgres, database: "matchmaking")
        defer { Task { for node in nodes { await node.stop() } } }

        // 24 requests, 8 on each node, all at once: 6 tables of 4.
        let seats = try await withThrowingTaskGroup(of: Seat.self) { group in
            for i in 0..<24 {
                let node = nodes[i % 3]
                group.addTask {
                    let answer = try await Self.matchmake(node, game: "table")
                    guard answer.status == 200 else { throw Refused(description: "\(answer.status) \(String(decoding: answer.body, as: UTF8.self))") }
                    return try JSONDecoder().decode(Seat.self, from: Data(answer.body))
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let byMatch = Dictionary(grouping: seats, by: { $0.match })
        #expect(byMatch.count == 6, "\(byMatch.mapValues(\.count))")
        #expect(byMatch.values.allSatisfy { $0.count == 4 }, "\(byMatch.mapValues(\.count))")
        #expect(byMatch.values.allSatisfy { Set($0.map(\.node)).count == 1 })
        #expect(seats.filter(\.created).count == 6)
        #expect(Set(byMatch.values.compactMap(\.first?.node)).count > 1, "new tables go to more than one node")

        // Every player takes their seat, on the node the answer named.
        for seat in seats {
            let connection = try await TickwireConnection.connect(seat.url, name: "p")
            #expect(try await connection.welcome.matchID == seat.match)
        }
        for node in nodes {
            try await Self.eventually("node \(node.port) lists six full tables") {
                guard let listed = try await Self.listing(node) else { return false }
                return listed.count == 6 && listed.allSatisfy { $0.players == 4 }
            }
        }
        // The cluster is full: the next seat is in a new table, and a seat
        // token seats one player, on its own node, for its own match.
        let next = try JSONDecoder().decode(Seat.self, from: Data(try await Self.matchmake(nodes[0], game: "table").body))
        #expect(next.created && byMatch[next.match] == nil)
        let first = try await TickwireConnection.connect(next.url, name: "first")
        #expect(try await first.welcome.matchID == next.match)
        let wrongNode = nodes.first { "ws://127.0.0.1:\($0.port)" != next.node } ?? nodes[0]
        for url in [next.url, next.url.replacingOccurrences(of: next.node, with: "ws://127.0.0.1:\(wrongNode.port)")] {
            let again = try await TickwireConnection.connect(url, name: "again")
            var refusal: ErrorMessage?
            while let message = try? await again.next() { if case .error(let e) = message { refusal = e } }
            #expect(refusal?.code == .notFound, "\(url): \(String(describing: refusal))")
        }
        #expect(try await Self.matchmake(nodes[1], game: "nope").status == 404)
        for node in nodes { await node.stop() }
    }

    @Test func labelsKeepMatchmakingApartAndAreListed() async throws {
        guard let postgres = try await onOwnThread({ try TestPostgres.start() }) else { return }
        defer { Thread { postgres.stop() }.start() }
        try await onOwnThread { try postgres.createDatabase("labels") }
        let a = try await Self.node(postgres, database: "labels")
        let b = try await Self.node(postgres, database: "labels")
        defer { Task { await a.stop(); await b.stop() } }
        func seat(_ node: LiveServer, _ labels: String?) async throws -> Seat {
            let answer = try await Self.matchmake(node, game: "table", labels: labels)
            guard answer.status == 200 else { throw Refused(description: "\(answer.status) \(String(decoding: answer.body, as: UTF8.self))") }
            return try JSONDecoder().decode(Seat.self, from: Data(answer.body))
        }
        let eu1 = try await seat(a, #"{"region":"eu"}"#)
        let eu2 = try await seat(b, #"{"region":"eu","mode":"casual"}"#)
        let us = try await seat(a, #"{"region":"us"}"#)
        let any = try await seat(b, nil)
        #expect(eu1.created)
        // A new match carries the labels it was made for; a request with more
        // labels than an open match has does not take it.
        #expect(eu2.match != eu1.match && eu2.created)
        #expect(us.match != eu1.match && us.created)
        // No labels: any open match will do, the fullest first.
        #expect([eu1.match, eu2.match, us.match].contains(any.match) && !any.created)
        for ticket in [eu1, eu2, us] {
            let player = try await TickwireConnection.connect(ticket.url, name: "p")
            _ = try await player.welcome
        }
        try await Self.eventually("the listing shows each match's labels") {
            guard let listed = try await Self.listing(b) else { return false }
            let labels = Dictionary(listed.map { ($0.id, $0.labels ?? [:]) }, uniquingKeysWith: { x, _ in x })
            return labels[eu1.match] == ["region": "eu"] && labels[eu2.match] == ["region": "eu", "mode": "casual"]
                && labels[us.match] == ["region": "us"]
        }
        await a.stop()
        await b.stop()
    }

    @Test func aReloadedMatchStoresItsLogAnewOnTheNewRules() async throws {
        guard let postgres = try await onOwnThread({ try TestPostgres.start() }) else { return }
        defer { Thread { postgres.stop() }.start() }
        try await onOwnThread { try postgres.createDatabase("reload") }
        let node = try await Self.node(postgres, database: "reload", games: ["counter": HotReloadTests.counter(step: 1)], hotReload: true)
        defer { Task { await node.stop() } }
        let ann = try await TickwireConnection.connect("ws://127.0.0.1:\(node.port)/play?game=counter", name: "Ann")
        let match = try await ann.welcome.matchID
        let reader = Task { while (try? await ann.nextSnapshot()) != nil {} }
        defer { reader.cancel() }
        /// The match's stored log, when it reads as a recording.
        func stored() async throws -> Recording? {
            let hex = try await onOwnThread {
                try postgres.psql("SELECT encode(bytes, 'hex') FROM tickwire_match_logs WHERE match_id = '\(match)' ORDER BY seq", database: "reload")
            }
            guard let bytes = [UInt8](hex: hex.split(separator: "\n").joined()) else { return nil }
            return try? Recording(bytes: bytes)
        }
        try await Self.eventually("a second of the match is stored") { try await stored().map { $0.lastTick >= 30 } ?? false }

        // A saved edit rebuilds the match on the new rules: its log starts over, and the stored one with it.
        try HotReloadTests.counter(step: 1000).write(to: node.games.appendingPathComponent("counter/game.lua"), atomically: true, encoding: .utf8)
        var recording: Recording?
        try await Self.eventually("the stored log is the new rules' and reaches past the reload", within: .seconds(30)) {
            recording = try await stored()
            guard let recording, let rules = recording.files.first(where: { $0.path == "game.lua" }) else { return false }
            return String(decoding: rules.contents, as: UTF8.self).contains("STEP = 1000") && recording.lastTick >= 60
        }
        let replay = try MatchReplay(recording: try #require(recording), game: try GameDefinition.load(folder: node.games.appendingPathComponent("counter").path))
        try replay.run()
        #expect(replay.fileDifferences.isEmpty)
        #expect(replay.divergence == nil, "\(String(describing: replay.divergence))")
        #expect(replay.checkpointsChecked >= 1)
        await node.stop()
    }

    @Test func matchesKeepTickingWhilePostgresIsDownAndTheListingComesBack() async throws {
        guard let postgres = try await onOwnThread({ try TestPostgres.start() }) else { return }
        defer { Thread { postgres.stop() }.start() }
        try await onOwnThread { try postgres.createDatabase("outage") }
        let node = try await Self.node(postgres, database: "outage", nodeTimeout: .seconds(2))
        let other = try await Self.node(postgres, database: "outage", nodeTimeout: .seconds(2))
        defer { Task { await node.stop(); await other.stop() } }
        let id = try await Self.create(node)
        try await Self.eventually("the match is listed") { try await Self.listing(other)?.count == 1 }

        try await onOwnThread { try postgres.stopServer() }
        let tick = { () async throws -> Int in
            let answer = try await Self.get(node, "/matches/\(id)")
            return try JSONDecoder().decode(MatchSummary.self, from: Data(answer.body)).tick
        }
        let before = try await tick()
        // Past the node timeout, the cluster's listing is unknown: 503, and
        // this node's own matches are still there.
        try await Self.eventually("GET /matches answers 503 once the listing is stale") {
            try await Self.get(node, "/matches").status == 503
        }
        #expect(try await Self.get(node, "/matches?scope=node").status == 200)
        #expect(try await tick() > before, "the match ticked on while PostgreSQL was down")
        try await Self.eventually("/metrics shows the database unreachable and counts the failed heartbeats") {
            let text = String(decoding: try await Self.get(node, "/metrics").body, as: UTF8.self)
            return text.contains("tickwire_cluster_database_reachable 0") && !text.contains("tickwire_cluster_heartbeats_failed_total 0")
                && text.contains("tickwire_cluster_heartbeats_failed_total")
        }

        try await onOwnThread { try postgres.startServer() }
        try await Self.eventually("the listing comes back") { try await Self.listing(other)?.map(\.id) == [id] }
        // Every node's heartbeat was older than the node timeout when the
        // database came back, yet nobody died: past another node timeout and
        // a few heartbeats, the match is still this node's, never taken over.
        try await Task.sleep(for: .seconds(3))
        let own = try JSONDecoder().decode([MatchSummary].self, from: Data(try await Self.get(node, "/matches?scope=node").body))
        #expect(own.map(\.id) == [id])
        let others = try JSONDecoder().decode([MatchSummary].self, from: Data(try await Self.get(other, "/matches?scope=node").body))
        #expect(others.isEmpty, "the other node took over \(others.map(\.id))")
        await node.stop()
        await other.stop()
    }

    @Test func aNodeRefusesToStartWhenTheDatabaseIsUnreachableAndSaysWhy() async throws {
        guard let postgres = try await onOwnThread({ try TestPostgres.start() }) else { return }
        let url = postgres.url(database: "postgres")
        try await onOwnThread { postgres.stop() }
        let started = ContinuousClock.now
        await #expect {
            _ = try await LiveServer { config in
                config.cluster = try? ClusterDatabaseURL(url + "?sslmode=disable")
            }
        } throws: { error in
            "\(error)".contains("cluster")
        }
        #expect(ContinuousClock.now - started < .seconds(30))
    }

    @Test func databaseURLsAreCheckedWithClearErrors() throws {
        let good = try ClusterDatabaseURL("postgres://tw:secret@db.example:6543/game?sslmode=require")
        #expect(good.username == "tw" && good.host == "db.example" && good.port == 6543 && good.database == "game")
        #expect(good.sslMode == .require)
        #expect(!good.description.contains("secret"))
        let socket = try ClusterDatabaseURL("postgres://tw@/game?host=/run/postgresql")
        #expect(socket.unixSocket == "/run/postgresql" && socket.host == nil)
        for (bad, says) in [("mysql://a@b/c", "not a postgres"), ("postgres://b/c", "no user"), ("postgres://a@b", "no database"),
                            ("postgres://a@b/c?sslmode=maybe", "sslmode"), ("postgres://a@b/c?pool=3", "unknown parameter"),
                            ("postgres://a:pw@/c", "no host")] {
            #expect { try ClusterDatabaseURL(bad) } throws: { "\($0)".contains(says) && !"\($0)".contains("pw@") }
        }
    }
}
