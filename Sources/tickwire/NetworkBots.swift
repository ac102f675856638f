import ArgumentParser
import Bots
import Client
import Dispatch
import Engine
import Foundation
import Synchronization

/// `tickwire bots --connect URL`: bots or load over real sockets (`NetworkRun`).
extension BotsCommand {
    func validateNetwork() throws {
        guard players >= 1 else { throw ValidationError("--players must be at least 1") }
        guard duration > 0, duration <= 86_400 else { throw ValidationError("--duration must be from 0 to 86400 seconds") }
        guard ramp >= 1 else { throw ValidationError("--ramp must be at least 1 connection per second") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        guard gameName != nil || folder != nil else {
            throw ValidationError("--connect needs the game: --game NAME (bot.lua then comes from games/NAME) or the game's folder")
        }
        try limits.validate()
    }

    /// The game's name on the server, and its folder here.
    var networkGame: (name: String, folder: String) {
        let name = gameName ?? URL(fileURLWithPath: folder ?? "").lastPathComponent
        return (name, folder ?? "games/\(name)")
    }

    func runNetwork(_ address: String) throws {
        let server: TickwireURL
        do { server = try TickwireURL(address) } catch { throw ValidationError("--connect: \(error)") }
        let (name, folder) = networkGame
        let mode: NetworkRun.Mode
        var sendRate: Int?
        switch inputs {
        case .random:
            mode = .randomInputs
            // The game's send rate, when its folder is here, so skipped ticks are not counted as missed.
            sendRate = (try? GameDefinition.load(folder: folder, limits: limits.luaLimits))?.sendRate
        case .bots:
            let definition: GameDefinition
            do { definition = try GameDefinition.load(folder: folder, limits: limits.luaLimits) } catch {
                StandardError.write("\(error)")
                throw ExitCode.failure
            }
            guard definition.botSource != nil else {
                StandardError.write("\(definition.folder) has no bot.lua: write one, or use --inputs random")
                throw ExitCode.failure
            }
            mode = .bots(definition)
        }
        var run = NetworkRun(server: server, game: name, mode: mode, players: players, duration: .seconds(duration))
        run.rampPerSecond = ramp
        if let sendRate { run.sendRate = sendRate }
        run.seatsTogether = !matchmaking && !matchmake
        run.clusterMatchmaking = matchmake
        run.seed = seed
        if let threads { run.threads = threads }
        run.options.token = token
        if let caFile { run.options.trust = .certificateAuthorities([caFile]) }
        if insecure { run.options.trust = .noVerification }

        if !json {
            let source = inputs == .bots ? "inputs from \(folder)/bot.lua" : "random inputs, headers only"
            print("\(name) at \(server): \(players) connection\(players == 1 ? "" : "s"), \(Self.format(duration)) s after the ramp, \(source), \(run.threads) client thread\(run.threads == 1 ? "" : "s")")
        }
        let quiet = self.quiet || json || isatty(2) == 0
        var progress: (@Sendable (Int, Int) -> Void)?
        if !quiet {
            progress = { joined, total in StandardError.writeRaw("\r\u{1B}[Kjoined \(joined)/\(total)") }
        }
        let (prepared, shown) = (run, progress)
        let report: NetworkReport = try Self.wait { () async throws -> NetworkReport in
            try await prepared.run(progress: shown)
        }
        if !quiet { StandardError.writeRaw("\r\u{1B}[K") }
        print(json ? NetworkReportTable.json(report) : NetworkReportTable.render(report))
        if report.errorCount > 0 || report.joined < report.players { throw ExitCode.failure }
    }

    /// Runs async work from this synchronous command and waits for it. The
    /// command runs on the main thread, outside Swift's cooperative pool, so
    /// blocking it starves no task.
    static func wait<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) throws -> T {
        let result = Mutex<Result<T, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task {
            let outcome: Result<T, any Error>
            do { outcome = .success(try await work()) } catch { outcome = .failure(error) }
            result.withLock { $0 = outcome }
            done.signal()
        }
        done.wait()
        return try result.withLock { $0! }.get()
    }

    static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(format: "%.1f", seconds)
    }
}
