import ArgumentParser
import Bots
import Engine
import Foundation
import Lua

/// `tickwire bots games/arena --matches 8 --players 8 --ticks 3000 --seed 42`
/// `tickwire bots --connect ws://127.0.0.1:8080 --game arena --players 400`
struct BotsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bots",
        abstract: "Play matches with Lua bots: headless at full speed on every core, or over the network against a server.",
        discussion: """
            Headless (no --connect): each match seats --players bots from the game's bot.lua and runs \
            until game.result ends it or --ticks run out. The same --seed gives the same state hashes on \
            every run. Exits with status 1 if any match failed, or if any script error happened in any \
            match (game.lua or bot.lua), even one the match went on after (--allow-script-errors: only \
            failed matches count).

            Over the network (--connect ws://HOST:PORT): --players connections join \
            /play?game=NAME&name=bot-N on a running server, which seats them in matches, and play for \
            --duration seconds. NAME is --game, or the last part of the folder argument; the folder \
            (for bot.lua) is the argument, or games/NAME when it is left out. Each connection decodes \
            the state and its match's bot.lua picks its input every snapshot; with --inputs random \
            there is no Lua and no state decoding: each connection reads only snapshot headers and \
            answers each with a random valid input, light enough to run beside the server. Reports \
            input → snapshot latency (from sending input s to the first snapshot whose last processed \
            input is s or later), bytes per player per second, ticks missed, and every error \
            (refused handshakes, error messages, unexpected closes by code). --matches, --ticks, \
            --workers and --realtime apply to headless runs only. Exits with status 1 on any error.
            """
    )

    @Argument(help: "The game's folder, e.g. games/arena (with --connect: optional, default games/<--game>).")
    var folder: String?

    @Option(help: "Play over the network against the server at this ws:// or wss:// URL.")
    var connect: String?

    @Option(name: .customLong("game"), help: "With --connect: the game's name on the server (default: the folder's name).")
    var gameName: String?

    @Option(help: "With --connect: seconds to play once every connection is opened.")
    var duration: Double = 10

    @Option(help: "With --connect: connections opened per second while ramping up.")
    var ramp = 200

    @Option(help: "With --connect: where inputs come from: bots (bot.lua, state decoded) or random (headers only, no Lua).")
    var inputs: InputSource = .bots

    @Flag(help: "With --connect: let the server's matchmaking seat every connection (default: each group of max_players joins the match of its first).")
    var matchmaking = false

    @Flag(help: "With --connect to a node of a cluster (serve --cluster): each connection asks POST /matchmake for a seat anywhere in the cluster and connects to the node it names.")
    var matchmake = false

    @Option(help: "With --connect: client event loops (default: one per core).")
    var threads: Int?

    @Option(help: "With --connect: a JWT, sent as the subprotocol tickwire.jwt.<token>.")
    var token: String?

    @Option(help: "With wss://: trust only this certificate authority (PEM file).")
    var caFile: String?

    @Flag(help: "With wss://: do not verify the server's certificate (tests only).")
    var insecure = false

    enum InputSource: String, ExpressibleByArgument, CaseIterable {
        case bots, random
    }

    @Option(help: "Matches to play.")
    var matches = 8

    @Option(name: .customLong("players"), help: "Bots per match (at most the game's max_players; default 8, or max_players when fewer); with --connect, connections in all (default 8).")
    var requestedPlayers: Int?

    /// Connections with --connect; bots per match when the game is not known yet.
    var players: Int { requestedPlayers ?? 8 }

    @Option(help: "Most ticks per match.")
    var ticks = 3000

    @Option(help: "Seed of the whole run; match i is seeded from it.")
    var seed: Int64 = 1

    @Option(help: "Parallel matches (default: one per core).")
    var workers: Int?

    @Flag(help: "Tick at the game's tick rate instead of full speed.")
    var realtime = false

    @OptionGroup var parameters: GameParameterOptions

    @OptionGroup var limits: ScriptLimitOptions

    @Option(help: "Record every match into a replay file in this folder (see tickwire replay).")
    var record: String?

    @Option(help: "Record matches, keeping only the files of matches with a script failure or a failed outcome.")
    var recordFailures: String?

    @Flag(help: "Print one JSON object per match (with --connect: one for the run) instead of a table.")
    var json = false

    @Flag(help: "Hide the games' print output.")
    var quiet = false

    @Flag(help: "Exit 0 despite script errors in game.lua or bot.lua, as long as no match failed.")
    var allowScriptErrors = false

    func validate() throws {
        if connect != nil { return try validateNetwork() }
        guard folder != nil else { throw ValidationError("give the game's folder, e.g. tickwire bots games/arena (or --connect URL to play against a server)") }
        guard (1...100_000).contains(matches) else { throw ValidationError("--matches must be from 1 to 100000") }
        guard players >= 0 else { throw ValidationError("--players cannot be negative") }
        guard ticks >= 1 else { throw ValidationError("--ticks must be at least 1") }
        if let workers, workers < 1 { throw ValidationError("--workers must be at least 1") }
        if record != nil, recordFailures != nil { throw ValidationError("give --record or --record-failures, not both") }
        try limits.validate()
    }

    func run() throws {
        if let connect { return try runNetwork(connect) }
        let game = folder ?? ""
        let definition: GameDefinition
        do {
            definition = try GameDefinition.load(folder: game, limits: limits.luaLimits)
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode.failure
        }
        guard definition.botSource != nil else {
            FileHandle.standardError.write(Data("\(definition.folder) has no bot.lua: write one returning { think = function(view, me) ... end }\n".utf8))
            throw ExitCode.failure
        }
        // Small games (cards for 2 to 4) play with no --players at all.
        let players = requestedPlayers ?? min(8, definition.maxPlayers)
        guard players <= definition.maxPlayers else {
            throw ValidationError("\(definition.name) seats at most \(definition.maxPlayers) players; --players is \(players)")
        }
        let quiet = self.quiet
        let options = MatchOptions(limits: limits.luaLimits, failurePolicy: limits.failurePolicy,
                                   params: try parameters.parsed(),
                                   log: { line in if !quiet { StandardError.write(line) } },
                                   cpuBudget: limits.cpuBudget)
        var run = HeadlessRun(game: definition, matches: matches, players: players, ticks: ticks, seed: seed, options: options)
        run.realtime = realtime
        if let workers { run.workers = workers }
        if let folder = record ?? recordFailures {
            do {
                run.recording = HeadlessRun.Recording(folder: try RecordingFolder(path: folder), failuresOnly: recordFailures != nil)
            } catch {
                FileHandle.standardError.write(Data("cannot record into \(folder): \(error)\n".utf8))
                throw ExitCode.failure
            }
        }

        let workerCount = max(1, min(run.workers, matches))
        if !json {
            print("\(definition.name): \(matches) match\(matches == 1 ? "" : "es") × \(players) bots, up to \(ticks) ticks, seed \(seed), \(workerCount) worker\(workerCount == 1 ? "" : "s")\(realtime ? ", real time" : "")")
        }
        let progress = ProgressDisplay(totalTicks: matches * ticks, matches: matches)
        let started = ContinuousClock.now
        let reports = run.run(progress: progress)
        let elapsed = ContinuousClock.now - started
        progress.stop()

        if json {
            for report in reports { print(report.json) }
        } else {
            print(ReportTable.render(reports))
            let totalTicks = reports.reduce(0) { $0 + $1.ticks }
            let seconds = max(elapsed.seconds, 1e-9)
            let rate = Double(totalTicks) / seconds
            let finished = reports.filter { if case .finished = $0.outcome { true } else { false } }.count
            let failed = reports.filter(\.failed).count
            print("\(totalTicks) ticks in \(String(format: "%.2f", seconds)) s: \(Int(rate)) ticks/s, \(Int(rate / Double(workerCount))) per worker; \(finished) finished, \(reports.count - finished - failed) ran out of ticks, \(failed) failed")
            if let folder = record ?? recordFailures {
                let kept = reports.compactMap(\.recording)
                print("recorded \(kept.count) match\(kept.count == 1 ? "" : "es") in \(folder)")
                for report in reports where report.failed || report.scriptFailures > 0 {
                    if let file = report.recording { print("  match \(report.index + 1): tickwire replay \(file)") }
                }
            }
        }
        // Every match's bots find the same typos: say each once.
        var warned = Set<String>()
        for warning in reports.flatMap(\.botWarnings) where warned.insert(warning).inserted {
            StandardError.write(warning)
        }
        let erring = reports.filter { $0.scriptFailures > 0 || $0.botErrors > 0 }
        if !erring.isEmpty {
            let scripts = erring.reduce(0) { $0 + $1.scriptFailures }, bots = erring.reduce(0) { $0 + $1.botErrors }
            StandardError.write("script errors: \(scripts) in game.lua, \(bots) in bot.lua, in \(erring.count) of \(reports.count) matches")
            for report in erring.prefix(5) {
                if let failure = report.firstScriptFailure { StandardError.write("  match \(report.index + 1): \(failure)") }
                if let error = report.firstBotError { StandardError.write("  match \(report.index + 1): bot.lua: \(error)") }
            }
            if erring.count > 5 { StandardError.write("  … and \(erring.count - 5) more matches (--json lists each)") }
        }
        if reports.contains(where: \.failed) { throw ExitCode.failure }
        if !erring.isEmpty, !allowScriptErrors { throw ExitCode.failure }
    }
}

/// Limits and failure policy for the games' Lua, shared by the commands that run games.
struct ScriptLimitOptions: ParsableArguments {
    @Option(help: "Wall time one Lua call may run, in milliseconds.")
    var timeLimitMs = 250

    @Option(help: "Exact Lua instruction budget per call (deterministic, slower); 0 for none.")
    var instructionLimit = 0

    @Option(help: "Memory per Lua state, in MiB.")
    var memoryMb = 64

    @Option(help: "What a match does when its Lua fails: skip (the tick) or end (after --max-errors failures).")
    var onError: FailureMode = .end

    @Option(help: "Failures before a match ends, with --on-error end.")
    var maxErrors = 3

    @Option(help: "CPU a match may use, as a percentage of each tick's period averaged over a second; a match above it ends whatever --on-error says. 0 for no budget.")
    var cpuBudgetPercent = 50

    enum FailureMode: String, ExpressibleByArgument, CaseIterable {
        case skip, end
    }

    func validate() throws {
        guard (1...3_600_000).contains(timeLimitMs) else { throw ValidationError("--time-limit-ms must be from 1 to 3600000") }
        guard instructionLimit >= 0, instructionLimit <= Int(Int32.max) else {
            throw ValidationError("--instruction-limit must be from 0 to \(Int32.max)")
        }
        guard (1...65_536).contains(memoryMb) else { throw ValidationError("--memory-mb must be from 1 to 65536") }
        guard maxErrors >= 1 else { throw ValidationError("--max-errors must be at least 1") }
        guard (0...10_000).contains(cpuBudgetPercent) else { throw ValidationError("--cpu-budget-percent must be from 0 to 10000") }
    }

    var luaLimits: LuaLimits {
        LuaLimits(memoryBytes: memoryMb << 20, timeLimit: .milliseconds(timeLimitMs),
                  instructionLimit: instructionLimit > 0 ? instructionLimit : nil)
    }

    var cpuBudget: CPUBudget {
        cpuBudgetPercent == 0 ? .unlimited : CPUBudget(share: Double(cpuBudgetPercent) / 100)
    }

    var failurePolicy: ScriptFailurePolicy {
        onError == .skip ? .skipTick : .endMatch(afterFailures: maxErrors)
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
