import ArgumentParser
import Engine
import Foundation
import Logging
import Protocol
import Server
import ServiceLifecycle

/// `tickwire replay FILE [--game DIR] [--until TICK --json] [--serve --port P --speed X]`
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Play a recorded match again and check it against the recorded state hashes.",
        discussion: """
            Plays FILE (written by bots --record or serve --record) headless at full speed with the game \
            in games/<name> (the name the recording gives), or --game DIR. Checks the state hash at every \
            checkpoint the recording holds and at the end, then prints the result and the final hash. \
            Exits 0 when everything matches; 1 at the first divergent tick, naming what differs (when \
            the game's files differ from the recorded ones, the recorded rules are played beside to name \
            the entity and field); 2 when the file or the game cannot be read. A file cut short (a crash \
            while recording) replays to its last complete tick and says so.
            """
    )

    @Argument(help: "The replay file.")
    var file: String

    @Option(help: "The game's folder (default: games/<the recording's game>).")
    var game: String?

    @Option(help: "Stop after this tick.")
    var until: Int?

    @Flag(help: "With --until: print the state at that tick as JSON (entities by kind, match fields, players).")
    var json = false

    @Flag(help: "Show the game's print output.")
    var verbose = false

    @Flag(help: "Serve the recording as a match to spectate, instead of checking it.")
    var serve = false

    @Option(help: "With --serve: address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "With --serve: port to listen on; 0 picks a free one.")
    var port = 8080

    @Option(help: "With --serve: playback speed, times the game's tick rate (0.05 to 64).")
    var speed = 1.0

    @Option(help: "With --serve: folder served at / (default: the web folder of the project this tickwire was built in).")
    var web: String?

    func validate() throws {
        if let until, until < 0 { throw ValidationError("--until must be 0 or more") }
        if json, until == nil { throw ValidationError("--json prints the state at --until TICK: give --until") }
        if serve, json || until != nil { throw ValidationError("--serve plays the whole recording: leave out --until and --json") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be from 0 to 65535") }
        guard speed.isFinite, (0.05...64).contains(speed) else { throw ValidationError("--speed must be from 0.05 to 64") }
    }

    /// Exit status 2: the replay could not start.
    static let unreadable = ExitCode(2)

    func run() async throws {
        let recording = try Self.read(file)
        let header = recording.header
        let folder = game ?? "games/\(header.game)"
        let say: (String) -> Void = json ? { StandardError.write($0) } : { print($0) }
        say("\(file): \(header.gameName) match \(header.matchID), recorded by \(header.origin) with \(header.engineVersion), seed \(header.seed)")
        if header.engineVersion != EngineVersion.current {
            say("note: recorded with \(header.engineVersion); this is \(EngineVersion.current): the replay may differ")
        }
        let differences = recording.differences(folder: folder)
        if !differences.isEmpty {
            say("the game's files differ from the recording's:")
            for line in differences { say("  \(line)") }
        }
        let definition: GameDefinition
        do {
            definition = try GameDefinition.load(folder: folder)
        } catch {
            StandardError.write("cannot load the game from \(folder): \(error)")
            throw Self.unreadable
        }
        if serve { return try await serveReplay(recording, game: definition) }
        var options = header.replayOptions
        if verbose { options.log = { StandardError.write($0) } }
        let replay: MatchReplay
        do {
            replay = try MatchReplay(recording: recording, game: definition, options: options)
        } catch {
            StandardError.write("cannot start the match: \(error)")
            throw Self.unreadable
        }
        do {
            try replay.run(until: until)
        } catch {
            StandardError.write("\(file): \(error)")
            throw Self.unreadable
        }
        let match = replay.session.match
        if let divergence = replay.divergence {
            StandardError.write("diverged at tick \(divergence.tick): \(divergence.reason)")
            if let reference = divergence.reference {
                let difference = StateDivergence(recorded: MatchState(reference), replayed: MatchState(match))
                for line in difference.description.split(separator: "\n").dropFirst() { StandardError.write(String(line)) }
            }
            throw ExitCode.failure
        }
        if json {
            print(MatchState(match).json)
            return
        }
        if let cut = replay.truncatedAt {
            say("the recording ends inside a chunk at byte \(cut) (it was cut short while written): replayed to its last complete tick, \(match.tick)")
        }
        for failure in match.failures { say("tick \(failure.tick): \(failure)") }
        say("tick \(match.tick): \(match.status.summary)")
        let checked = "\(replay.checkpointsChecked) checkpoint\(replay.checkpointsChecked == 1 ? "" : "s")"
        if let end = replay.recordedEnd {
            if end.hash == nil { say("the recording ends with: \(end.outcome)") }
            say("state hash \(match.stateHash): matches the recording at \(checked)\(end.hash != nil ? " and at the end" : "")")
        } else {
            say("state hash \(match.stateHash): matches the recording at \(checked)")
        }
    }

    /// Plays the recording on a server until SIGTERM or SIGINT.
    private func serveReplay(_ recording: Recording, game: GameDefinition) async throws {
        var config = ServerConfiguration()
        config.host = host
        config.port = port
        config.games = [recording.header.game: game]
        config.webFolder = web ?? ProjectFolder.web
        config.maxMatches = 1
        config.match.limits = recording.header.replayOptions.limits
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = verbose ? .info : .warning
            return handler
        }
        let logger = Logger(label: "tickwire")
        let host = self.host
        let name = recording.header.game
        let server: TickwireServer
        do {
            server = try await TickwireServer(configuration: config, logger: logger) { port in
                StandardError.write("listening on http://\(host):\(port)")
                StandardError.write("watch it: http://\(host):\(port)/?game=\(name) (Spectate), or /spectate?match=ID; GET or POST /replay steers it")
            }
            let id = try await server.startReplay(recording, game: game, file: file, speed: speed)
            StandardError.write("replaying \(file) as match \(id)")
        } catch {
            StandardError.write("cannot serve the replay: \(error)")
            throw Self.unreadable
        }
        let services = ServiceGroup(configuration: .init(services: [server], gracefulShutdownSignals: [.sigterm, .sigint],
                                                         logger: logger))
        try await services.run()
    }

    /// The largest replay file read: days of play for a full match.
    static let maxFileBytes = 4 << 30

    /// The recording in `path`, or a clear error and exit status 2.
    static func read(_ path: String) throws -> Recording {
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        guard size <= maxFileBytes else {
            StandardError.write("\(path) is \(size >> 20) MiB; a replay file is read whole, up to \(maxFileBytes >> 20) MiB")
            throw unreadable
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            StandardError.write("cannot read \(path)")
            throw unreadable
        }
        do {
            return try Recording(bytes: [UInt8](data))
        } catch {
            StandardError.write("\(path): \(error)")
            throw unreadable
        }
    }
}
