import Client
import Engine
import Foundation
import Protocol
import Testing
import TestSupport

/// Three `tickwire serve` nodes of a cluster on a real PostgreSQL, one of
/// them killed with SIGKILL mid-match: another node takes its match over
/// from the log in the database, the players come back with their resume
/// tokens through `POST /matchmake` on a live node and get a full snapshot,
/// and the match's log, extended by its new node, replays whole with every
/// state hash matching.
@Suite(.serialized, .timeLimit(.minutes(4))) struct ClusterFailoverTests {
    typealias ServerProcess = ServeCommandTests.ServerProcess

    struct Failed: Error, CustomStringConvertible { let description: String }

    struct Listed: Decodable {
        let id: String
        let node: String?
        let tick: Int
    }

    static func http(_ port: Int, _ method: String, _ path: String, body: String = "") async throws -> RawHTTPAnswer {
        try await onOwnThread {
            try RawHTTP(port: port).exchange("\(method) \(path) HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                             + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)")
        }
    }

    /// Waits, bounded, until `condition` holds.
    static func eventually<T>(_ what: String, within limit: Duration = .seconds(30), _ condition: () async throws -> T?) async throws -> T {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if let value = try await condition() { return value }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw Failed(description: "not within \(limit): \(what)")
    }

    /// One player: a connection, kept fed with inputs and read.
    final class Player: @unchecked Sendable {
        let name: String
        var connection: TickwireConnection
        var id = 0
        var token = ""
        var lastTick = 0

        init(name: String, connection: TickwireConnection) async throws {
            self.name = name
            self.connection = connection
            let welcome = try await connection.welcome
            id = welcome.playerID
            token = welcome.resumeToken
        }

        /// Sends one input (fire, thrust, turn: the schema's order) and reads one snapshot.
        func play(_ step: Int) async throws {
            _ = try await connection.send(input: [step % 5 == 0 ? 1 : 0, step % 2 == 0 ? 1 : 0, Int64(step % 3) - 1])
            if let snapshot = try await connection.nextSnapshot() { lastTick = snapshot.header.tick }
        }
    }

    /// A throwaway PostgreSQL's database `name` and `count` nodes on it,
    /// each `tickwire serve` with `extra` flags; their ports, in order.
    static func cluster(_ postgres: TestPostgres, database name: String, nodes count: Int,
                        extra: [String] = []) async throws -> (nodes: [ServerProcess], ports: [Int]) {
        try await onOwnThread { try postgres.createDatabase(name) }
        let url = postgres.url(database: name) + "?sslmode=disable"
        var nodes: [ServerProcess] = []
        var ports: [Int] = []
        do {
            for _ in 0..<count {
                let node = try ServerProcess(["--host", "127.0.0.1", "--port", "0", "--games", "games", "--cluster", url] + extra)
                nodes.append(node)
                ports.append(try await node.port(within: 60))
            }
            _ = try await eventually("\(count) live nodes") {
                try await onOwnThread { try postgres.psql("SELECT count(*) FROM tickwire_nodes", database: name) } == "\(count)\n" ? true : nil
            }
        } catch {
            for node in nodes where node.process.isRunning { kill(node.process.processIdentifier, SIGKILL) }
            throw error
        }
        return (nodes, ports)
    }

    /// The port of the node running `match`, from the database.
    static func owner(of match: String, _ postgres: TestPostgres, database: String) async throws -> Int? {
        try await onOwnThread {
            try postgres.psql("SELECT n.advertise FROM tickwire_nodes n JOIN tickwire_matches m ON m.node_id = n.id WHERE m.id = '\(match)'",
                              database: database)
        }.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ":").last.flatMap { Int($0) }
    }

    static func drive(_ players: [Player], steps: Int) async throws {
        for step in 0..<steps {
            for player in players { try await player.play(step) }
        }
    }

    @Test func aNodeKilledMidMatchHasItsMatchTakenOverAndItsPlayersResumeThroughMatchmake() async throws {
        guard let postgres = try await onOwnThread({ try TestPostgres.start() }) else { return }
        defer { Thread { postgres.stop() }.start() }
        func sql(_ query: String) async throws -> String {
            try await onOwnThread { try postgres.psql(query, database: "failover") }.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        // hand-over: a node stopped at the end gives what it runs to the others at once.
        let (nodes, ports) = try await Self.cluster(postgres, database: "failover", nodes: 3, extra: ["--on-stop", "hand-over"])
        defer { for node in nodes where node.process.isRunning { kill(node.process.processIdentifier, SIGKILL) } }

        // Three players matchmade through three nodes (the Swift client's
        // Matchmaker): one arena match.
        var players: [Player] = []
        var match = ""
        for (i, port) in ports.enumerated() {
            let ticket = try await Matchmaker.seat(game: "arena", at: TickwireURL("ws://127.0.0.1:\(port)"))
            match = ticket.match
            players.append(try await Player(name: "P\(i)", connection: try await TickwireConnection.connect(ticket.url, name: "P\(i)")))
        }
        #expect(Set(try await players.asyncMap { try await $0.connection.welcome.matchID }) == [match])
        let owner = try #require(try await Self.owner(of: match, postgres, database: "failover"))
        let ownerIndex = try #require(ports.firstIndex(of: owner))

        // Play until the database holds two seconds of log and every seat's token.
        try await Self.eventually("the log and the tokens in the database") { () -> Bool? in
            try await Self.drive(players, steps: 5)
            let chunks = Int(try await sql("SELECT count(*) FROM tickwire_match_logs WHERE match_id = '\(match)'")) ?? 0
            let tokens = Int(try await sql("SELECT count(*) FROM tickwire_resume WHERE match_id = '\(match)'")) ?? 0
            return chunks >= 4 && tokens == 3 ? true : nil
        }
        let tickBeforeKill = players.map(\.lastTick).max() ?? 0

        kill(nodes[ownerIndex].process.processIdentifier, SIGKILL)
        let killed = ContinuousClock.now
        let survivors = ports.indices.filter { $0 != ownerIndex }.map { ports[$0] }
        // The first player comes back at once, as a client would: the cluster
        // names the dead node until its heartbeat is old, then the new one.
        let first = try await Matchmaker.reconnect(token: players[0].token, at: TickwireURL("ws://127.0.0.1:\(survivors[0])"),
                                                   patience: .seconds(30))
        #expect(try await first.welcome.playerID == players[0].id)
        #expect(try await first.welcome.matchID == match)
        _ = await first.close()
        let newNode = try await Self.eventually("another node runs the match") { () -> String? in
            for port in survivors {
                let answer = try await Self.http(port, "GET", "/matches?scope=node")
                guard answer.status == 200 else { continue }
                if try JSONDecoder().decode([Listed].self, from: Data(answer.body)).contains(where: { $0.id == match }) {
                    return "ws://127.0.0.1:\(port)"
                }
            }
            return nil
        }
        let adoptedAfter = ContinuousClock.now - killed
        // Taken for dead after 3 s without a heartbeat, then one heartbeat of
        // a live node: about 4 s on an idle machine; bounded loosely here.
        #expect(adoptedAfter < .seconds(20), "adopted after \(adoptedAfter)")
        #expect(nodes[survivors.contains(ports[0]) ? 0 : 1].process.isRunning)

        // Each player asks a live node where their seat is now, and resumes.
        for (i, player) in players.enumerated() {
            let port = survivors[i % survivors.count]
            let ticket = try await Matchmaker.resume(token: player.token, at: TickwireURL("ws://127.0.0.1:\(port)"), patience: .seconds(30))
            #expect(ticket.match == match)
            #expect(ticket.node == newNode)
            player.connection = try await TickwireConnection.connect(ticket.url)
            let welcome = try await player.connection.welcome
            #expect(welcome.playerID == player.id)
            #expect(welcome.matchID == match)
            let first = try #require(try await player.connection.nextSnapshot())
            #expect(first.header.baselineTick == nil, "the first frame after a resume is a full snapshot")
            #expect(first.header.tick > tickBeforeKill - 60)
        }
        // The match went on from the last tick the database held: the node's
        // last heartbeat stored its log up to then, about a second at most
        // before the kill (bounded at two seconds of play for a busy machine).
        let line = try #require(nodes.map(\.stderr).joined().split(separator: "\n").first { $0.contains("match taken over from a dead node") })
        let adoptedTick = try #require(line.firstMatch(of: /tick=(\d+)/).flatMap { Int($0.1) })
        #expect(adoptedTick >= tickBeforeKill - 60, "taken over at tick \(adoptedTick); the players saw tick \(tickBeforeKill) before the kill")

        // Play on; the new node extends the match's log.
        let chunksAtAdoption = Int(try await sql("SELECT count(*) FROM tickwire_match_logs WHERE match_id = '\(match)'")) ?? 0
        try await Self.eventually("the new node logs on") { () -> Bool? in
            try await Self.drive(players, steps: 5)
            let chunks = Int(try await sql("SELECT count(*) FROM tickwire_match_logs WHERE match_id = '\(match)'")) ?? 0
            return chunks >= chunksAtAdoption + 2 ? true : nil
        }

        // The whole log, from its first node and its second, replays with
        // every state hash matching.
        let hex = try await sql("SELECT encode(bytes, 'hex') FROM tickwire_match_logs WHERE match_id = '\(match)' ORDER BY seq")
        let log = try #require([UInt8](hex: hex.split(separator: "\n").joined()))
        let replay = try MatchReplay(recording: Recording(bytes: log),
                                     game: try GameDefinition.load(folder: repoRoot.appendingPathComponent("games/arena").path))
        try replay.run()
        #expect(replay.divergence == nil, "\(String(describing: replay.divergence))")
        #expect(replay.fileDifferences.isEmpty)
        #expect((replay.lastCheckpoint ?? 0) > tickBeforeKill, "hashes checked up to tick \(replay.lastCheckpoint ?? 0)")
        #expect(replay.checkpointsChecked >= (replay.lastCheckpoint ?? 0) / 30)

        for i in ports.indices where i != ownerIndex {
            kill(nodes[i].process.processIdentifier, SIGTERM)
            #expect(await nodes[i].exitStatus(within: 30) == 0, "\(nodes[i].stderr)")
        }
        #expect(nodes.contains { $0.stderr.contains("match taken over from a dead node") })
    }

    @Test func botsMatchmakeThroughOneNodeAndLandAcrossTheCluster() async throws {
        guard let postgres = try await onOwnThread({ try TestPostgres.start() }) else { return }
        defer { Thread { postgres.stop() }.start() }
        let (nodes, ports) = try await Self.cluster(postgres, database: "bots", nodes: 2, extra: ["--on-stop", "hand-over"])
        defer { for node in nodes where node.process.isRunning { kill(node.process.processIdentifier, SIGKILL) } }
        // 20 players of a 16-seat game: two matches, filled one at a time.
        let bots = try ServerProcess(["--connect", "ws://127.0.0.1:\(ports[0])", "--game", "arena", "--matchmake", "--inputs", "random",
                                      "--players", "20", "--duration", "2", "--json"], command: "bots", collectsStdout: true)
        #expect(await bots.exitStatus(within: 60) == 0, "\(bots.stderr)")
        #expect(bots.stderr.contains(#""joined":20"#) && bots.stderr.contains(#""errors":{}"#),
                "\(bots.stderr)\n--- nodes:\n\(nodes.map(\.stderr).joined(separator: "\n---\n"))")
        // Matchmaking placed the second match on the node with fewer: one
        // match on each node, with all 20 players.
        _ = try await Self.eventually("two matches, one on each node, with 20 players") { () -> Bool? in
            let row = try await onOwnThread {
                try postgres.psql("SELECT count(*), count(DISTINCT node_id) FROM tickwire_matches WHERE NOT provisional", database: "bots")
            }
            return row == "2|2\n" ? true : nil
        }
        for node in nodes {
            kill(node.process.processIdentifier, SIGTERM)
            #expect(await node.exitStatus(within: 30) == 0, "\(node.stderr)")
        }
    }

    @Test func sigtermWithHandOverMovesTheMatchWithNoTickLost() async throws {
        guard let postgres = try await onOwnThread({ try TestPostgres.start() }) else { return }
        defer { Thread { postgres.stop() }.start() }
        let (nodes, ports) = try await Self.cluster(postgres, database: "handover", nodes: 2, extra: ["--on-stop", "hand-over"])
        defer { for node in nodes where node.process.isRunning { kill(node.process.processIdentifier, SIGKILL) } }
        let ticket = try await Matchmaker.seat(game: "arena", at: TickwireURL("ws://127.0.0.1:\(ports[0])"))
        let ann = try await Player(name: "Ann", connection: try await TickwireConnection.connect(ticket.url, name: "Ann"))
        try await Self.drive([ann], steps: 20)
        let ownerPort = try #require(try await Self.owner(of: ticket.match, postgres, database: "handover"))
        let (owner, other) = ownerPort == ports[0] ? (0, 1) : (1, 0)

        kill(nodes[owner].process.processIdentifier, SIGTERM)
        // The node stops the match where it is, stores it, and closes its players with 1001.
        while let snapshot = try? await ann.connection.nextSnapshot() { ann.lastTick = snapshot.header.tick }
        #expect(await ann.connection.closed.code == .goingAway)
        #expect(await nodes[owner].exitStatus(within: 30) == 0, "\(nodes[owner].stderr)")
        #expect(nodes[owner].stderr.contains("matches handed over to the cluster"), "\(nodes[owner].stderr)")

        let resumed = try await Matchmaker.resume(token: ann.token, at: TickwireURL("ws://127.0.0.1:\(ports[other])"), patience: .seconds(30))
        #expect(resumed.match == ticket.match)
        #expect(resumed.node == "ws://127.0.0.1:\(ports[other])")
        ann.connection = try await TickwireConnection.connect(resumed.url)
        #expect(try await ann.connection.welcome.playerID == ann.id)
        let first = try #require(try await ann.connection.nextSnapshot())
        // Nothing was lost: the match went on from the tick it stopped at.
        #expect(first.header.tick >= ann.lastTick, "resumed at tick \(first.header.tick); the last seen was \(ann.lastTick)")
        let line = try #require(nodes[other].stderr.split(separator: "\n").first { $0.contains("match taken over from a dead node") })
        let adoptedTick = try #require(line.firstMatch(of: /tick=(\d+)/).flatMap { Int($0.1) })
        #expect(adoptedTick >= ann.lastTick, "taken over at tick \(adoptedTick); the player saw tick \(ann.lastTick)")
        kill(nodes[other].process.processIdentifier, SIGTERM)
        #expect(await nodes[other].exitStatus(within: 30) == 0, "\(nodes[other].stderr)")
    }

    @Test func sigtermDrainsNewPlayersGoElsewhereAndTheRunningMatchPlaysToItsEnd() async throws {
        guard let postgres = try await onOwnThread({ try TestPostgres.start() }) else { return }
        defer { Thread { postgres.stop() }.start() }
        let (nodes, ports) = try await Self.cluster(postgres, database: "drain", nodes: 2,
                                                    extra: ["--drain-timeout", "60", "--empty-timeout", "1", "--resume-grace", "0"])
        defer { for node in nodes where node.process.isRunning { kill(node.process.processIdentifier, SIGKILL) } }
        let ticket = try await Matchmaker.seat(game: "arena", at: TickwireURL("ws://127.0.0.1:\(ports[0])"))
        let ann = try await Player(name: "Ann", connection: try await TickwireConnection.connect(ticket.url, name: "Ann"))
        try await Self.drive([ann], steps: 5)
        let ownerPort = try #require(try await Self.owner(of: ticket.match, postgres, database: "drain"))
        let (owner, other) = ownerPort == ports[0] ? (0, 1) : (1, 0)

        kill(nodes[owner].process.processIdentifier, SIGTERM)
        #expect(await nodes[owner].logs("draining"), "\(nodes[owner].stderr)")
        // The draining node places nothing: the next player's match is on the other node,
        // though Ann's match has free seats.
        let next = try await Self.eventually("matchmaking skips the draining node") { () -> Matchmaker.Ticket? in
            let next = try await Matchmaker.seat(game: "arena", at: TickwireURL("ws://127.0.0.1:\(ports[other])"))
            return next.node == "ws://127.0.0.1:\(ports[other])" ? next : nil
        }
        #expect(next.match != ticket.match)
        // Ann's match plays on meanwhile, past the time a silent node is taken
        // for dead: the draining node keeps its heartbeat, so nobody takes it over.
        let before = ann.lastTick
        try await Self.drive([ann], steps: 130)
        #expect(ann.lastTick > before)
        #expect(nodes[owner].process.isRunning)
        #expect(try await Self.owner(of: ticket.match, postgres, database: "drain") == ownerPort)
        // Ann leaves: the match ends (empty), and the drained node exits.
        _ = await ann.connection.close()
        #expect(await nodes[owner].exitStatus(within: 30) == 0, "\(nodes[owner].stderr)")
        #expect(!nodes[owner].stderr.contains("handed over"), "\(nodes[owner].stderr)")
        kill(nodes[other].process.processIdentifier, SIGTERM)
        _ = await nodes[other].exitStatus(within: 30)
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for element in self { out.append(try await transform(element)) }
        return out
    }
}
