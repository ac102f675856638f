import Cluster
import Foundation
@testable import Server
import Testing
import TestSupport

/// Servers as nodes of a cluster on a real PostgreSQL (a throwaway server of
/// the test's own): the schema migrates once whoever starts first, every
/// node lists every live node's matches, a node that stops leaves nothing
/// behind, and a database that goes away pauses no match.
@Suite(.serialized, .timeLimit(.minutes(3))) struct ClusterTests {
    /// A node of a cluster on `database`, beating fast so tests wait little.
    static func node(_ postgres: TestPostgres, database: String) async throws -> LiveServer {
        try await LiveServer { config in
            config.cluster = try? ClusterDatabaseURL(postgres.url(database: database) + "?sslmode=disable")
            config.clusterHeartbeat = .milliseconds(200)
            config.clusterNodeTimeout = .seconds(2)
        }
    }

    static func get(_ server: LiveServer, _ path: String) throws -> RawHTTPAnswer {
        let http = try RawHTTP(port: server.port)
        return try http.exchange("GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n")
    }

    static func create(_ server: LiveServer, game: String = "arena") throws -> String {
        let body = #"{"game":"\#(game)"}"#
        let http = try RawHTTP(port: server.port)
        let answer = try http.exchange("POST /matches HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        let json = try JSONDecoder().decode(MatchSummary.self, from: Data(answer.body))
        return json.id
    }

    static func listing(_ server: LiveServer) throws -> [MatchSummary]? {
        let answer = try get(server, "/matches")
        guard answer.status == 200 else { return nil }
        return try JSONDecoder().decode([MatchSummary].self, from: Data(answer.body))
    }

    /// Waits, bounded, until `condition` holds (heartbeats are asynchronous).
    static func eventually(_ what: String, within limit: Duration = .seconds(20),
                           _ condition: () throws -> Bool) async throws {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if try condition() { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("not within \(limit): \(what)")
        throw CancellationError()
    }

    @Test func threeNodesMigrateOnceAndEachListsEveryNodesMatches() async throws {
        guard let postgres = try TestPostgres.start() else { return }
        defer { postgres.stop() }
        try postgres.createDatabase("three")
        async let a = Self.node(postgres, database: "three")
        async let b = Self.node(postgres, database: "three")
        async let c = Self.node(postgres, database: "three")
        let nodes = try await [a, b, c]
        defer { Task { for node in nodes { await node.stop() } } }
        #expect(try postgres.psql("SELECT version FROM tickwire_schema ORDER BY version", database: "three") == "1\n")
        #expect(try postgres.psql("SELECT count(*) FROM tickwire_nodes", database: "three") == "3\n")

        var owner: [String: String] = [:]
        for node in nodes { owner[try Self.create(node)] = "ws://127.0.0.1:\(node.port)" }
        for node in nodes {
            try await Self.eventually("node \(node.port) lists the three matches") {
                guard let listed = try Self.listing(node) else { return false }
                return Dictionary(listed.map { ($0.id, $0.node ?? "") }, uniquingKeysWith: { a, _ in a }) == owner
            }
        }
        // scope=node: this node's own match alone.
        let own = try JSONDecoder().decode([MatchSummary].self, from: Data(Self.get(nodes[0], "/matches?scope=node").body))
        #expect(own.count == 1 && owner[own[0].id] == "ws://127.0.0.1:\(nodes[0].port)")

        // A node that stops leaves the cluster with its matches.
        await nodes[2].stop()
        #expect(try postgres.psql("SELECT count(*) FROM tickwire_nodes", database: "three") == "2\n")
        try await Self.eventually("the stopped node's match leaves the listing") {
            try Self.listing(nodes[0])?.count == 2
        }
    }

    @Test func matchesKeepTickingWhilePostgresIsDownAndTheListingComesBack() async throws {
        guard let postgres = try TestPostgres.start() else { return }
        defer { postgres.stop() }
        try postgres.createDatabase("outage")
        let node = try await Self.node(postgres, database: "outage")
        defer { Task { await node.stop() } }
        let id = try Self.create(node)
        try await Self.eventually("the match is listed") { try Self.listing(node)?.count == 1 }

        try postgres.stopServer()
        let tick = { () throws -> Int in
            let answer = try Self.get(node, "/matches/\(id)")
            return try JSONDecoder().decode(MatchSummary.self, from: Data(answer.body)).tick
        }
        let before = try tick()
        // Past the node timeout, the cluster's listing is unknown: 503, and
        // this node's own matches are still there.
        try await Self.eventually("GET /matches answers 503 once the listing is stale") {
            try Self.get(node, "/matches").status == 503
        }
        #expect(try Self.get(node, "/matches?scope=node").status == 200)
        #expect(try tick() > before, "the match ticked on while PostgreSQL was down")
        try await Self.eventually("the failed heartbeats are counted") { (node.server.cluster.node?.heartbeats.failed ?? 0) > 0 }

        try postgres.startServer()
        try await Self.eventually("the listing comes back") { try Self.listing(node)?.map(\.id) == [id] }
    }

    @Test func aNodeRefusesToStartWhenTheDatabaseIsUnreachableAndSaysWhy() async throws {
        guard let postgres = try TestPostgres.start() else { return }
        let url = postgres.url(database: "postgres")
        postgres.stop()
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
