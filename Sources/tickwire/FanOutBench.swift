import ArgumentParser
import Bots
import Client
import Engine
import Foundation
import Synchronization

/// `tickwire bench --fan-out`: how many players one server holds over real
/// sockets before its ticks get slow.
///
/// For each player count N it starts `tickwire serve` in a child process,
/// connects N players to the game (the server's matchmaking fills matches of
/// max_players) with the light load generator of `tickwire bots --inputs
/// random` in this process, plays a warm-up, then measures a window: server
/// CPU (utime + stime from /proc), the tick time histogram (from /metrics:
/// rules plus fan-out, per match tick), and input → snapshot latency as the
/// players see it. N doubles from --fan-out-players while the p99 tick stays
/// within --fan-out-budget-ms, then the boundary is bisected; or, with
/// --fan-out-at, exactly the counts given are measured.
///
/// At every N it then measures the floor (`FanOutFloor`): a plain C epoll
/// server sending messages of the size Tickwire's players just received,
/// answered with replies of the size they sent, at the game's tick rate.
/// Tickwire's server CPU per player-second is reported as a multiple of the
/// floor's, so that figures from different machines can be compared.
///
/// Both processes share the machine: on a small one the load generator's
/// own CPU is part of what limits N, and the report says how much it used.
struct FanOutOptions: ParsableArguments {
    @Flag(help: "Measure the server's fan-out over sockets instead of the engine (see the fan-out options).")
    var fanOut = false

    @Option(help: "Fan-out: players in the first step; doubled while the p99 tick fits the budget.")
    var fanOutPlayers = 500

    @Option(help: "Fan-out: most players to try.")
    var fanOutMax = 8000

    @Option(help: "Fan-out: p99 tick time budget, in milliseconds.")
    var fanOutBudgetMs = 5.0

    @Option(help: "Fan-out: seconds measured per step (after a 2 s warm-up).")
    var fanOutSeconds = 5.0

    @Option(help: "Fan-out: bisection steps after the first step over the budget.")
    var fanOutBisect = 3

    @Option(help: "Fan-out: server threads (default: one per core).")
    var fanOutServerThreads: Int?

    @Option(help: "Fan-out: load generator threads (default: one per core).")
    var fanOutClientThreads: Int?

    @Option(help: "Fan-out: connections opened per second.")
    var fanOutRamp = 1000

    @Option(help: ArgumentHelp("Fan-out: measure exactly these player counts, e.g. 150,1000 (no doubling, no bisection).", valueName: "counts"),
            transform: FanOutOptions.playerCounts)
    var fanOutAt: [Int]?

    @Flag(inversion: .prefixedNo, help: "Fan-out: also measure the floor (tickwire-floor, a plain C epoll server) at each player count.")
    var fanOutFloor = true

    static func playerCounts(_ text: String) throws -> [Int] {
        let counts = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !counts.isEmpty, counts.allSatisfy({ ($0 ?? 0) >= 1 }) else {
            throw ValidationError("--fan-out-at takes player counts separated by commas, e.g. 150,1000")
        }
        return counts.map { $0! }
    }

    /// One measured step.
    struct Step {
        var players: Int
        var report: NetworkReport
        var ticks: TickBuckets
        var serverCPU: Double       // seconds, over the window
        var loadCPU: Double         // seconds of this process, over the window
        var window: Double          // seconds
        var budget: Double          // seconds
        /// The floor at the same N, when it was measured.
        var floor: FanOutFloor.Measurement?
        var floorNote: String?

        var microsPerPlayerSecond: Double { serverCPU * 1e6 / max(window, 1e-9) / Double(max(1, report.joined)) }
        var timesFloor: Double? {
            guard let floor, floor.microsPerPlayerSecond > 0 else { return nil }
            return microsPerPlayerSecond / floor.microsPerPlayerSecond
        }

        var tickP99: Double? { ticks.quantile(0.99) }
        var fitsBudget: Bool { ticks.total > 0 && ticks.fraction(atMost: budget) >= 0.99 }
        var clean: Bool { report.errorCount == 0 && report.joined == players }
        var passes: Bool { fitsBudget && clean }
    }

    func run(gameFolder: String) throws {
        let folder = URL(fileURLWithPath: gameFolder).standardizedFileURL
        let game = folder.lastPathComponent
        let games = folder.deletingLastPathComponent().path
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let tickRate = try GameDefinition.load(folder: folder.path).tickRate
        var floor: FanOutFloor?
        if fanOutFloor {
            floor = FanOutFloor.beside()
            if floor == nil {
                print("floor: not measured: no tickwire-floor beside this tickwire; build it with `swift build -c release --product tickwire-floor`")
            }
        }
        print("tickwire bench --fan-out: \(game) from \(games), random inputs at the tick rate, server in a child process (\(fanOutServerThreads ?? cores) threads), load in this one (\(fanOutClientThreads ?? cores) threads)")
        print("machine: \(BenchCommand.machine()); p99 tick budget \(fanOutBudgetMs) ms; \(Int(fanOutSeconds)) s windows after 2 s of warm-up")
        if floor != nil {
            print("floor: tickwire-floor at each N after Tickwire, \(tickRate) Hz, one message per player per tick and one reply each, of the bytes Tickwire's frames had on the wire (snapshots and inputs, WebSocket headers included)")
        }
        print("players  matches  server CPU  µs/player/s  floor µs  × floor  tick p50 ms  tick p99 ms  latency p99 ms  bytes/player/s  missed  load CPU  errors")

        let measureStep = { (n: Int) throws -> Step in
            var step = try self.measure(players: n, game: game, games: games)
            if let floor { self.addFloor(floor, to: &step, tickRate: tickRate) }
            print(Self.row(step))
            return step
        }
        if let fanOutAt {
            let steps = try fanOutAt.map(measureStep)
            let ratios = steps.compactMap { s in s.timesFloor.map { String(format: "%.1f× the floor at %d players", $0, s.players) } }
            if !ratios.isEmpty { print("Tickwire's server CPU per player-second: \(ratios.joined(separator: ", "))") }
            return
        }

        var n = max(1, fanOutPlayers)
        var best: Step?
        var over: Step?
        while n <= fanOutMax {
            let step = try measureStep(n)
            if step.passes { best = step; n *= 2 } else { over = step; break }
        }
        if var low = best, let high = over {
            var highN = high.players
            for _ in 0..<max(0, fanOutBisect) {
                let mid = (low.players + highN) / 2
                guard mid > low.players, highN - low.players > max(50, low.players / 20) else { break }
                let step = try measureStep(mid)
                if step.passes { low = step } else { highN = mid }
            }
            best = low
        }
        if let best {
            let limit = over == nil ? " (the most tried; raise --fan-out-max)" : ""
            print("largest player count with p99 tick ≤ \(fanOutBudgetMs) ms and no errors: \(best.players)\(limit)")
        } else {
            print("even \(fanOutPlayers) players miss the budget or fail; try fewer with --fan-out-players")
            throw ExitCode.failure
        }
    }

    private func measure(players: Int, game: String, games: String) throws -> Step {
        let server = try FanOutServer(gamesFolder: games, threads: fanOutServerThreads)
        defer { server.stop() }
        var run = NetworkRun(server: TickwireURL(isSecure: false, host: "127.0.0.1", port: server.port), game: game,
                             mode: .randomInputs, players: players, duration: .milliseconds(Int64(fanOutSeconds * 1000)))
        run.warmup = .seconds(2)
        run.rampPerSecond = fanOutRamp
        run.groupSize = 16
        if let fanOutClientThreads { run.threads = fanOutClientThreads }
        run.namePrefix = "load-"
        let samples = Mutex<[(ticks: TickBuckets, server: Double, load: Double, at: ContinuousClock.Instant)]>([])
        let (pid, port) = (server.process.processIdentifier, server.port)
        run.onWindow = { _ in
            let sample = (try FanOutServer.tickBuckets(port: port), FanOutServer.cpuSeconds(pid: pid), Self.processCPUSeconds(), ContinuousClock.now)
            samples.withLock { $0.append(sample) }
        }
        let prepared = run
        let report: NetworkReport = try BotsCommand.wait { () async throws -> NetworkReport in try await prepared.run() }
        let (start, end) = samples.withLock { ($0[0], $0[$0.count - 1]) }
        return Step(players: players, report: report, ticks: end.ticks.since(start.ticks),
                    serverCPU: end.server - start.server, loadCPU: end.load - start.load,
                    window: (end.at - start.at).seconds, budget: fanOutBudgetMs / 1000)
    }

    /// Measures the floor at the step's N with messages of the bytes the
    /// step's frames had on the wire, each way; a floor that fails leaves a
    /// note instead of columns.
    private func addFloor(_ floor: FanOutFloor, to step: inout Step, tickRate: Int) {
        let snapshot = Int(step.report.bytesPerSnapshot.rounded()), input = Int(step.report.bytesPerInput.rounded())
        guard snapshot > 0, input > 0 else {
            step.floorNote = "floor: not measured (no snapshots or inputs to size its messages by)"
            return
        }
        let message = max(4, snapshot + Self.frameHeaderBytes(payload: snapshot, masked: false))
        let reply = max(4, input + Self.frameHeaderBytes(payload: input, masked: true))
        do {
            step.floor = try floor.measure(players: step.players, tickRate: tickRate, messageBytes: message, replyBytes: reply,
                                           warmup: 2, seconds: fanOutSeconds)
        } catch {
            step.floorNote = "floor: failed: \(error)"
        }
    }

    /// A WebSocket frame's header for `payload` bytes (RFC 6455, 5.2): 2
    /// bytes, 4 past 125, 10 past 65,535; a client's frames add a 4-byte mask.
    static func frameHeaderBytes(payload: Int, masked: Bool) -> Int {
        (payload <= 125 ? 2 : payload <= 65_535 ? 4 : 10) + (masked ? 4 : 0)
    }

    static func row(_ s: Step) -> String {
        func ms(_ v: Double?) -> String { v.map { String(format: "%.2f", $0 * 1000) } ?? "-" }
        let window = max(s.window, 1e-9)
        let serverShare = s.serverCPU / window
        let latency = s.report.latencyMillis(99).map { String(format: "%.1f", $0) } ?? "-"
        let floor = s.floor.map { String(format: "%.0f", $0.microsPerPlayerSecond) } ?? "-"
        let times = s.timesFloor.map { String(format: "%.1f", $0) } ?? "-"
        var line = [
            String(s.players).leftPadded(7), String(s.report.matches).leftPadded(8),
            (String(format: "%.0f", serverShare * 100) + "%").leftPadded(11), String(format: "%.0f", s.microsPerPlayerSecond).leftPadded(12),
            floor.leftPadded(9), times.leftPadded(8),
            ms(s.ticks.quantile(0.5)).leftPadded(12), ms(s.tickP99).leftPadded(12), latency.leftPadded(15),
            String(Int(s.report.bytesPerPlayerSecond.rounded())).leftPadded(15), String(s.report.ticksMissed).leftPadded(7),
            (String(format: "%.0f", s.loadCPU / window * 100) + "%").leftPadded(9), String(s.report.errorCount).leftPadded(7),
        ].joined(separator: " ")
        line += s.passes ? "  ok" : s.clean ? "  over budget" : "  errors"
        if !s.clean {
            for (kind, e) in s.report.errors.sorted(by: { $0.value.count > $1.value.count }).prefix(3) {
                line += "\n         \(e.count) \(kind): \(e.first.split(separator: "\n").first ?? "")"
            }
            if s.report.joined < s.players { line += "\n         \(s.players - s.report.joined) never joined" }
        }
        if let f = s.floor {
            let fw = max(f.window, 1e-9)
            let written = Double(f.written) / Double(max(1, f.written + f.skipped)) * 100
            let cpu = String(format: "server %.1f%%, load %.1f%% CPU", f.serverCPU / fw * 100, f.loadCPU / fw * 100)
            let delivery = String(format: "%.2f%% of messages written", written)
            line += "\n         floor: \(f.messageBytes) B messages, \(f.replyBytes) B replies at \(f.tickRate) Hz; \(cpu); \(delivery), \(f.replies) replies, \(f.errors) errors"
            if !f.clean {
                line += " (\(f.connected) of \(f.players) connected, messages of \(f.receivedLength) B\(f.firstError.map { "; \($0)" } ?? ""))"
            }
        }
        if let note = s.floorNote { line += "\n         \(note)" }
        return line
    }

    /// User plus system CPU seconds of this process.
    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
}
