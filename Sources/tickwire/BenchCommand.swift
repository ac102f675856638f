import ArgumentParser
import Bots
import Engine
import Foundation
import Lua

/// `tickwire bench`: how fast the engine runs a game's rules, per core, and
/// what it costs over the same rules in the plain `lua5.4` interpreter.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure ticks per second per core, and the engine against plain lua5.4.",
        discussion: """
            Plays one match with bots and records its inputs, then replays those inputs \
            through the engine and through the stock lua5.4 interpreter (same prelude, same \
            rules, same arguments per tick), alternating for --rounds rounds, and checks that \
            both end in the same quantized state. Times are CPU time of one thread; \
            medians are reported, and the ratio of the best rounds, which interference \
            from the other core disturbs least. \
            score_limit and time_limit are passed as 1000000 unless --param sets them, so \
            that arena plays every tick.
            """
    )

    @Argument(help: "The game's folder.")
    var game = "games/arena"

    @Option(help: "Bots in the match.")
    var players = 16

    @Option(help: "Ticks to record and replay.")
    var ticks = 3000

    @Option(help: "Seed of the match.")
    var seed: Int64 = 1

    @Option(help: "Replay rounds of each kind; medians are reported.")
    var rounds = 5

    /// Defaults keep arena playing every tick: its score and time limits out of reach.
    @OptionGroup var parameters: GameParameterOptions

    @Flag(inversion: .prefixedNo, help: "Also replay with an exact instruction limit, to show what it costs.")
    var exactLimit = true

    @Flag(help: "Measure recording instead: tick time with and without a recorder, file size, replay speed.")
    var recording = false

    @Flag(help: "Measure hot reload instead: how long rebuilding a match on reloaded rules takes, by the length of its history.")
    var reload = false

    @Flag(help: "Measure per-player views instead: bytes and CPU per player-tick with the game's visibility and with everyone seeing all, against arena's 16 bots (e.g. --views games/world --players 200).")
    var views = false

    @Flag(help: "Measure only the wire: bytes per client as JSON, bit-packed, deltas with and without prediction, and xz -9 (e.g. --wire games/cubes --players 1 --ticks 3600).")
    var wire = false

    @OptionGroup(title: "Fan-out over sockets") var fanOut: FanOutOptions

    @OptionGroup(title: "A cluster on PostgreSQL") var cluster: ClusterBenchOptions

    @Option(help: "Also write the plain-Lua harness (harness.lua, match.lua) into this folder, to run it by hand with lua5.4.")
    var saveHarness: String?

    func validate() throws {
        guard players >= 1 else { throw ValidationError("--players must be at least 1") }
        guard ticks >= 1 else { throw ValidationError("--ticks must be at least 1") }
        guard (1...100).contains(rounds) else { throw ValidationError("--rounds must be from 1 to 100") }
    }

    func run() throws {
        if fanOut.fanOut { return try fanOut.run(gameFolder: game) }
        if cluster.database != nil { return try cluster.run(gameFolder: game) }
        if recording { return try runRecording() }
        if reload { return try runReload() }
        if views { return try runViews() }
        if wire { return try runWire() }
        let definition = try load()
        let params = try parameters.parsed(over: ["score_limit": .number(1_000_000), "time_limit": .number(1_000_000)])
        let options = MatchOptions(seed: seed, params: params)
        guard players <= definition.maxPlayers else {
            throw ValidationError("\(definition.name) seats at most \(definition.maxPlayers) players")
        }
        print("tickwire bench: \(definition.folder), \(players) bots, \(ticks) ticks, seed \(seed), \(rounds) rounds")
        print("machine: \(Self.machine())")

        // 1. Play with bots, the session logging every command.
        let log = CommandLog()
        var clock = VirtualClock()
        let cpu0 = threadCPUTime()
        let played = HeadlessMatch(game: definition, options: options, players: players, maxTicks: ticks)
            .play(index: 0, clock: &clock, log: log)
        let playSeconds = threadCPUTime() - cpu0
        if case .failed(let message) = played.outcome { throw BenchError("the match failed: \(message)") }
        let recording = InputRecording(log)
        let recorded = recording.ticks.count
        print("with bots:     \(Self.rate(recorded, playSeconds)) ticks/s on one core (rules + snapshots + \(players) Lua bots)")

        // 2. Replay through the engine and through lua5.4, alternating.
        let harness = PlainLuaHarness(game: definition, recording: recording, seed: seed, params: params, maxEntities: options.maxEntities)
        let interpreter = PlainLuaHarness.interpreter()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tickwire-bench-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let script = try harness.write(into: folder)
        if let saveHarness {
            let target = URL(fileURLWithPath: saveHarness)
            try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
            _ = try harness.write(into: target)
            print("harness:       \(target.path)/harness.lua (run from here: lua5.4 \(target.path)/harness.lua)")
        }
        var engine: [Double] = []
        var exact: [Double] = []
        var plain: [Double] = []
        var engineDigest = ""
        var plainDigest = ""
        var exactOptions = options
        exactOptions.limits.instructionLimit = 100_000_000
        for _ in 0..<rounds {
            let t0 = threadCPUTime()
            let match = try log.replay(game: definition, options: options)
            engine.append(threadCPUTime() - t0)
            engineDigest = match.snapshots.latest.map { PlainLuaHarness.digest(of: $0, schema: definition.schema) } ?? ""
            if exactLimit {
                let t1 = threadCPUTime()
                _ = try log.replay(game: definition, options: exactOptions)
                exact.append(threadCPUTime() - t1)
            }
            if let interpreter {
                let result = try harness.run(interpreter: interpreter, script: script)
                plain.append(result.seconds)
                plainDigest = result.digest
            }
        }
        let engineMedian = Self.median(engine)
        print("engine:        \(Self.rate(recorded, engineMedian)) ticks/s on one core, \(Self.micros(engineMedian / Double(recorded))) µs/tick (rules + snapshots, no bots)")
        if exactLimit {
            print("  exact instruction limit: \(Self.micros(Self.median(exact) / Double(recorded))) µs/tick, \(String(format: "%.2f", Self.median(exact) / engineMedian))× the default")
        }
        guard interpreter != nil else {
            print("plain lua5.4:  not measured (lua5.4 is not installed; scripts/bench installs it)")
            return try printWire(definition, recording, options)
        }
        let plainMedian = Self.median(plain)
        let ratios = zip(engine, plain).map { $0 / $1 }
        print("plain lua5.4:  \(Self.rate(recorded, plainMedian)) ticks/s, \(Self.micros(plainMedian / Double(recorded))) µs/tick (same prelude, rules and inputs)")
        print("engine / plain lua5.4: \(String(format: "%.2f", Self.median(ratios)))× median of rounds (\(ratios.map { String(format: "%.2f", $0) }.joined(separator: ", "))), \(String(format: "%.2f", engine.min()! / plain.min()!))× best against best")
        print("final states match: \(engineDigest == plainDigest ? "yes" : "NO")")
        if engineDigest != plainDigest { throw ExitCode.failure }
        try printWire(definition, recording, options)
    }

    /// Bytes on the wire for the first 60 simulated seconds of the recording.
    private func printWire(_ game: GameDefinition, _ recording: InputRecording, _ options: MatchOptions) throws {
        var minute = recording
        minute.ticks = Array(recording.ticks.prefix(60 * game.tickRate))
        let r = try WireBench(game: game, recording: minute, options: options).run()
        func perSecond(_ bytes: Int) -> Int { Int((Double(bytes) / r.seconds).rounded()) }
        let json = perSecond(r.json), packed = perSecond(r.packed), deltas = perSecond(r.deltas), unpredicted = perSecond(r.unpredicted)
        func line(_ bytesPerSecond: Int) -> String {
            let perSnapshot = Double(bytesPerSecond) * r.seconds / Double(max(r.snapshots, 1))
            return String(format: "%9d B/s %9.1f B/snapshot %10.1f kbps", bytesPerSecond, perSnapshot, Double(bytesPerSecond) * 8 / 1000)
        }
        let sending = game.sendRate == game.tickRate ? "" : ", sending \(game.sendRate) snapshots/s"
        let every = game.sendRate == game.tickRate ? "every tick" : "every send"
        print("wire, \(String(format: "%.0f", r.seconds)) s of \(game.name) at \(game.tickRate) Hz\(sending) with \(players) players, per client:")
        print("  whole state as JSON \(every):    \(line(json))")
        print("  whole state bit-packed \(every): \(line(packed)) (\(String(format: "%.1f", Double(json) / Double(packed)))× smaller than JSON)")
        print("  deltas from the baseline only:     \(line(unpredicted)) (1/\(String(format: "%.1f", Double(packed) / Double(unpredicted))) of bit-packed)")
        print("  deltas with prediction:            \(line(deltas)) (1/\(String(format: "%.1f", Double(packed) / Double(deltas))) of bit-packed, 1/\(String(format: "%.1f", Double(json) / Double(deltas))) of JSON)")
        if let xz = r.xz {
            let floor = perSecond(xz)
            print("  those deltas after xz -9 (floor):  \(line(floor)) (deltas are \(String(format: "%.2f", Double(deltas) / Double(floor)))× the floor)")
        }
        let changed = Double(r.changedEntities) / Double(max(r.snapshots, 1))
        let bitsPerChanged = Double(deltas) * r.seconds * 8 / Double(max(r.changedEntities, 1))
        print(String(format: "  %.1f entities changed or added per snapshot; the deltas spend %.1f bits on each (all included)", changed, bitsPerChanged))
        print("  encode \(String(format: "%.1f", r.encodeMicros)) µs, decode \(String(format: "%.1f", r.decodeMicros)) µs per snapshot (with prediction)")
    }

    private func runWire() throws {
        let (definition, options) = try singleMatch("--wire")
        guard players <= definition.maxPlayers else {
            throw ValidationError("\(definition.name) seats at most \(definition.maxPlayers) players")
        }
        let log = CommandLog()
        var clock = VirtualClock()
        let played = HeadlessMatch(game: definition, options: options, players: players, maxTicks: ticks).play(index: 0, clock: &clock, log: log)
        if case .failed(let message) = played.outcome { throw BenchError("the match failed: \(message)") }
        try printWire(definition, InputRecording(log), options)
    }

    private func runRecording() throws {
        let (definition, options) = try singleMatch("--recording")
        try RecordingBench(game: definition, options: options, players: players, ticks: ticks, rounds: rounds).run()
    }

    private func runReload() throws {
        let (definition, options) = try singleMatch("--reload")
        try ReloadBench(game: definition, options: options, players: players, ticks: ticks, rounds: rounds).run()
    }

    private func runViews() throws {
        let (definition, options) = try singleMatch("--views")
        guard players <= definition.maxPlayers else {
            throw ValidationError("\(definition.name) seats at most \(definition.maxPlayers) players")
        }
        let arenaFolder = URL(fileURLWithPath: definition.folder).deletingLastPathComponent().appendingPathComponent("arena").path
        let arena = try GameDefinition.load(folder: FileManager.default.fileExists(atPath: arenaFolder) ? arenaFolder : "games/arena")
        let arenaOptions = MatchOptions(seed: seed, params: ["score_limit": .number(1_000_000), "time_limit": .number(1_000_000)])
        try ViewsBench(game: definition, options: options, players: players, ticks: ticks, rounds: rounds,
                       reference: arena, referenceOptions: arenaOptions).run()
    }

    /// The game and options of a bench that plays one bots match (`flag`
    /// names it in the header), arena's limits out of reach.
    private func singleMatch(_ flag: String) throws -> (GameDefinition, MatchOptions) {
        let definition = try load()
        let params = try parameters.parsed(over: ["score_limit": .number(1_000_000), "time_limit": .number(1_000_000)])
        print("tickwire bench \(flag): \(definition.folder), \(players) bots, \(ticks) ticks, seed \(seed), \(rounds) rounds")
        print("machine: \(Self.machine())")
        return (definition, MatchOptions(seed: seed, params: params))
    }

    private func load() throws -> GameDefinition {
        do { return try GameDefinition.load(folder: game) } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode.failure
        }
    }

    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    static func rate(_ ticks: Int, _ seconds: Double) -> String { String(Int((Double(ticks) / max(seconds, 1e-9)).rounded())) }
    static func micros(_ seconds: Double) -> String { String(format: "%.1f", seconds * 1e6) }

    static func machine() -> String {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }?
            .split(separator: ":", maxSplits: 1).last?.trimmingCharacters(in: .whitespaces) ?? "unknown CPU"
        return "\(model), \(ProcessInfo.processInfo.activeProcessorCount) cores"
    }
}
