import ArgumentParser
import Client
import Cluster
import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `tickwire bench --cluster postgres://…`: three `tickwire serve --cluster`
/// nodes and one single server, all children of this process on loopback,
/// measured the way a player and an operator meet them:
///
/// - join latency, `POST /matchmake` → welcome through the cluster against
///   `/play?game=` → welcome on the single server, alternated join by join;
/// - the database's writes per match per second while bots play (rows and
///   log bytes, from PostgreSQL's own counters), and transactions per node
///   per second;
/// - from a node's SIGKILL to its players playing again: each resumes
///   through `POST /matchmake` on a live node and waits for its first
///   snapshot there.
struct ClusterBenchOptions: ParsableArguments {
    @Option(name: .customLong("cluster"),
            help: "Measure a cluster instead, on this PostgreSQL database (postgres://USER@HOST:PORT/DATABASE?sslmode=disable; its tickwire_ tables are created if missing and used).")
    var database: String?

    @Option(help: "Cluster: joins measured through the cluster, and as many on a single server.")
    var clusterJoins = 100

    @Option(help: "Cluster: bots playing (random inputs, matchmade) while the database's writes are counted.")
    var clusterPlayers = 160

    @Option(help: "Cluster: seconds the database's writes are counted.")
    var clusterSeconds = 10.0

    @Option(help: "Cluster: nodes killed with SIGKILL, one after another, each under a match of 4 players.")
    var clusterKills = 3

    func run(gameFolder: String) throws {
        guard let database else { return }
        let url: ClusterDatabaseURL
        do { url = try ClusterDatabaseURL(database) } catch { throw ValidationError("--cluster: \(error)") }
        guard clusterJoins >= 2, clusterPlayers >= 1, clusterSeconds > 0, clusterKills >= 0 else {
            throw ValidationError("--cluster-joins must be at least 2, --cluster-players at least 1, --cluster-seconds above 0")
        }
        let bench = ClusterBench(database: database, url: url, gameFolder: gameFolder, options: self)
        try blocking { try await bench.run() }
    }
}

/// Runs `body` to its end from synchronous code (the bench command).
private func blocking(_ body: @escaping @Sendable () async throws -> Void) throws {
    let done = DispatchSemaphore(value: 0)
    let outcome = LockedOutcome()
    Task {
        do { try await body() } catch { outcome.set(error) }
        done.signal()
    }
    done.wait()
    if let error = outcome.error { throw error }
}

private final class LockedOutcome: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Error?
    var error: Error? { lock.withLock { stored } }
    func set(_ error: Error) { lock.withLock { stored = error } }
}

private final class ClusterBench: Sendable {
    let database: String
    let url: ClusterDatabaseURL
    let games: String
    let game: String
    let options: ClusterBenchOptions
    static let nodeCount = 3

    init(database: String, url: ClusterDatabaseURL, gameFolder: String, options: ClusterBenchOptions) {
        self.database = database
        self.url = url
        let folder = URL(fileURLWithPath: gameFolder).standardizedFileURL
        game = folder.lastPathComponent
        games = folder.deletingLastPathComponent().path
        self.options = options
    }

    func node() throws -> FanOutServer {
        try FanOutServer(gamesFolder: games, threads: nil, extra: ["--cluster", database, "--on-stop", "end"])
    }

    func run() async throws {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        print("cluster: \(Self.nodeCount) nodes of `tickwire serve --cluster` and 1 single server, on 127.0.0.1, \(cores) cores, game \(game)")
        var nodes = try (0..<Self.nodeCount).map { _ in try node() }
        let single = try FanOutServer(gamesFolder: games, threads: nil)
        defer {
            for server in nodes { server.stop() }
            single.stop()
        }
        // Every node heartbeats once before the joins.
        try await Task.sleep(for: .seconds(2))

        try await joins(nodes: nodes, single: single)
        try await writes(nodes: nodes)
        for round in 0..<options.clusterKills {
            let killed = try await kill(round: round, nodes: nodes)
            nodes[killed] = try node()
        }
    }

    // MARK: Join latency

    func joins(nodes: [FanOutServer], single: FanOutServer) async throws {
        var cluster: [Duration] = []
        var alone: [Duration] = []
        for i in 0..<options.clusterJoins {
            // Alternated, so both see the same noise of a shared machine.
            let started = ContinuousClock.now
            let ticket = try await Matchmaker.seat(game: game, at: try TickwireURL("ws://127.0.0.1:\(nodes[i % nodes.count].port)"))
            let player = try await TickwireConnection.connect(ticket.url, name: "join-\(i)")
            _ = try await player.welcome
            cluster.append(ContinuousClock.now - started)
            _ = await player.close()

            let before = ContinuousClock.now
            let plain = try await TickwireConnection.connect("ws://127.0.0.1:\(single.port)/play?game=\(game)", name: "join-\(i)")
            _ = try await plain.welcome
            alone.append(ContinuousClock.now - before)
            _ = await plain.close()
        }
        let (c50, c99) = Self.percentiles(cluster)
        let (s50, s99) = Self.percentiles(alone)
        print("join latency, \(options.clusterJoins) joins each (connect → welcome; the cluster's starts with POST /matchmake):")
        print("  cluster       p50 \(Self.ms(c50)) ms   p99 \(Self.ms(c99)) ms")
        print("  single node   p50 \(Self.ms(s50)) ms   p99 \(Self.ms(s99)) ms")
        print("  ratio         p50 \(Self.ratio(c50, s50))×   p99 \(Self.ratio(c99, s99))×")
    }

    // MARK: Database writes

    func writes(nodes: [FanOutServer]) async throws {
        let bots = Process()
        bots.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        let ramp = 200
        let rampSeconds = Double(options.clusterPlayers) / Double(ramp) + 3
        bots.arguments = ["bots", "--connect", "ws://127.0.0.1:\(nodes[0].port)", "--game", game, "--matchmake", "--inputs", "random",
                          "--players", String(options.clusterPlayers), "--ramp", String(ramp),
                          "--duration", String(Int((options.clusterSeconds + rampSeconds + 2).rounded(.up)))]
        bots.standardOutput = FileHandle.nullDevice
        bots.standardError = FileHandle.nullDevice
        try bots.run()
        defer { if bots.isRunning { bots.terminate() } }
        try await Task.sleep(for: .seconds(rampSeconds))
        let before = try await ClusterDatabaseStats.read(url)
        let started = ContinuousClock.now
        try await Task.sleep(for: .seconds(options.clusterSeconds))
        let after = try await ClusterDatabaseStats.read(url)
        let seconds = Self.seconds(ContinuousClock.now - started)
        let matches = max(1, after.matches)
        let rows = Double(after.rowsWritten - before.rowsWritten) / Double(matches) / seconds
        let bytes = Double(after.logBytes - before.logBytes) / Double(matches) / seconds
        let commits = Double(after.commits - before.commits) / Double(nodes.count) / seconds
        print("database writes, \(options.clusterPlayers) bots (random inputs) in \(after.matches) matches on \(nodes.count) nodes, \(String(format: "%.1f", seconds)) s:")
        print("  rows written per match per second      \(String(format: "%.2f", rows))")
        print("  log bytes stored per match per second  \(String(format: "%.0f", bytes))")
        print("  transactions per node per second       \(String(format: "%.2f", commits))")
        while bots.isRunning { try await Task.sleep(for: .milliseconds(100)) }
    }

    // MARK: A node killed

    /// One node killed under a match of four; returns which.
    func kill(round: Int, nodes: [FanOutServer]) async throws -> Int {
        // A label of its own: a fresh match for the round, wherever matchmaking places it.
        let labels = ["bench": "kill-\(round)"]
        var players: [(connection: TickwireConnection, token: String)] = []
        var ticket: Matchmaker.Ticket?
        for i in 0..<4 {
            let seat = try await Matchmaker.seat(game: game, labels: labels, at: try TickwireURL("ws://127.0.0.1:\(nodes[i % nodes.count].port)"))
            ticket = seat
            let connection = try await TickwireConnection.connect(seat.url, name: "kill-\(i)")
            players.append((connection, try await connection.welcome.resumeToken))
        }
        guard let ticket, let owner = nodes.firstIndex(where: { "ws://127.0.0.1:\($0.port)" == ticket.node }) else {
            throw BenchError("matchmaking placed the round's match on no node of this bench")
        }
        // Play past the time a token and the log reach the database (two
        // seconds of play), reading every snapshot.
        let readers = players.map { player in
            Task { while (try? await player.connection.nextSnapshot()) != nil {} }
        }
        try await Task.sleep(for: .seconds(3.5))
        let survivor = nodes.indices.first { $0 != owner } ?? 0
        Glibc.kill(nodes[owner].process.processIdentifier, SIGKILL)
        let killed = ContinuousClock.now
        for reader in readers { reader.cancel() }
        let live = try TickwireURL("ws://127.0.0.1:\(nodes[survivor].port)")
        let back = try await withThrowingTaskGroup(of: Duration.self) { group in
            for player in players {
                group.addTask {
                    let connection = try await Matchmaker.reconnect(token: player.token, at: live, patience: .seconds(60))
                    _ = try await connection.nextSnapshot()
                    let elapsed = ContinuousClock.now - killed
                    _ = await connection.close()
                    return elapsed
                }
            }
            var all: [Duration] = []
            for try await elapsed in group { all.append(elapsed) }
            return all
        }
        let (p50, _) = Self.percentiles(back)
        let slowest = back.max() ?? .zero
        print("SIGKILL → playing again, round \(round + 1): 4 players, first snapshot on the new node after p50 \(Self.ms(p50)) ms, "
              + "last \(Self.ms(slowest)) ms (node timeout 3 s, heartbeat 1 s)")
        return owner
    }

    // MARK: Figures

    static func percentiles(_ samples: [Duration]) -> (p50: Duration, p99: Duration) {
        let sorted = samples.sorted()
        guard !sorted.isEmpty else { return (.zero, .zero) }
        let p99 = sorted[max(0, Int((Double(sorted.count) * 0.99).rounded(.up)) - 1)]
        return (sorted[sorted.count / 2], p99)
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    static func ms(_ d: Duration) -> String { String(format: "%.1f", seconds(d) * 1000) }

    static func ratio(_ a: Duration, _ b: Duration) -> String {
        seconds(b) > 0 ? String(format: "%.2f", seconds(a) / seconds(b)) : "-"
    }
}
