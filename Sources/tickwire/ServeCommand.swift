import ArgumentParser
import Cluster
import Engine
import Foundation
import Logging
import Server
import ServiceLifecycle

/// `tickwire serve` — the game server. Every flag also reads an environment
/// variable (`--max-matches` ← `TICKWIRE_MAX_MATCHES`); a flag wins.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the games of a folder over WebSocket, with matchmaking, /matches, /healthz and /metrics.",
        discussion: """
            Clients join with ws://HOST:PORT/play?game=NAME (or &match=ID), watch with /spectate?match=ID, \
            and resume a dropped seat with /play?resume=TOKEN. Static files of --web are served at /. \
            Every server option can also be set with an environment variable: TICKWIRE_ followed by the \
            option's name in capitals with underscores (TICKWIRE_PORT=9000, TICKWIRE_JWT_SECRET=…); an option \
            on the command line wins. The script limits and --param are command-line options only. SIGTERM or SIGINT stops accepting, lets every match finish its tick and run \
            game.result, closes players with 1001 and exits 0; a match that does not stop within the hard limit is abandoned, so shutdown never waits for it.
            """
    )

    @Argument(help: "Folder of games, one subfolder with game.lua each (default games; the same as --games).")
    var folder: String?
    @Option(help: "Address to listen on (default 0.0.0.0).")
    var host: String?
    @Option(help: "Port to listen on; 0 picks a free one (default 8080).")
    var port: Int?
    @Option(help: "Folder of games, one subfolder with game.lua each (default games).")
    var games: String?
    @Option(help: "Folder served at / (default: the web folder of the project this tickwire was built in; none when there is none).")
    var web: String?
    @Option(help: "PEM certificate chain: serve https and wss (with --tls-key).")
    var tlsCert: String?
    @Option(help: "PEM private key for --tls-cert.")
    var tlsKey: String?
    @Option(help: "An Origin browsers may connect from (repeat it; comma-separated in the variable). Default: any.")
    var allowedOrigin: [String] = []
    @Option(help: "HS256 secret: /play then needs a JWT (?token= or subprotocol tickwire.jwt.<JWT>) with sub (and name).")
    var jwtSecret: String?
    @Option(help: "Seconds a dropped player keeps their seat to resume; 0 disables (default 10).")
    var resumeGrace: Double?
    @Option(help: "Seconds a match nobody is in lives on before it ends, for games that do not set game.empty_timeout (default 60).")
    var emptyTimeout: Double?
    @Option(help: "Largest message a client may send, in bytes (default 65536).")
    var maxMessageBytes: Int?
    @Option(help: "Messages per second a client may send, counted in WebSocket frames (pings and fragments too), before it is closed as flooding (default 120).")
    var maxMessagesPerSecond: Int?
    @Option(help: "Bytes that may wait unsent for one client before it is closed as too slow (default 4194304).")
    var maxOutboundBytes: Int?
    @Option(help: "Seconds to complete an HTTP request or WebSocket upgrade (default 10).")
    var handshakeTimeout: Double?
    @Option(help: "Seconds between server pings (default 15).")
    var pingInterval: Double?
    @Option(help: "Seconds of silence after which a client is dropped (default 45).")
    var idleTimeout: Double?
    @Option(help: "Open connections at once (default 10000).")
    var maxConnections: Int?
    @Option(help: "Matches at once (default 1000).")
    var maxMatches: Int?
    @Option(help: "Spectators per match (default 64).")
    var maxSpectators: Int?
    @Option(help: "Threads for matches and sockets (default: one per core).")
    var threads: Int?
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (default info).")
    var logLevel: String?

    @Flag(help: "Development mode: hot reload (as --watch), and GET /matches/ID/state answers anyone (it shows what players may not see).")
    var dev = false
    @Flag(help: "Hot reload: a saved edit to a game's folder that loads replaces its rules, and every running match of it moves to them without dropping a client (a match is rebuilt by replaying its history on the new rules).")
    var watch = false
    @Option(help: "A token that reads any match's state: GET /matches/ID/state with Authorization: Bearer <token>.")
    var operatorToken: String?
    @Option(help: "Record every match into a replay file in this folder (see tickwire replay).")
    var record: String?
    @Option(help: "With --record: most MiB of recordings the folder keeps; the oldest files are deleted first (default 1024).")
    var recordMaxMb: Int?

    @Option(help: "Join a cluster of servers on this PostgreSQL (postgres://USER:PASSWORD@HOST:PORT/DATABASE[?sslmode=disable|prefer|require]): the node registers, heartbeats and publishes its matches there, and GET /matches lists the whole cluster. Default: one process, no database.")
    var cluster: String?
    @Option(help: "With --cluster: the URL players reach this node at, ws://HOST:PORT or wss://HOST:PORT (default: the listening address when it is a loopback one).")
    var advertise: String?
    @Option(help: "With --cluster: what SIGTERM does: drain (no new matches here; the running ones play on until they end, then what still runs after --drain-timeout is handed over) hand-over (the matches stop here and other nodes go on with them at once; players resume through POST /matchmake) or end (the matches end here, game.result runs, as on a single server). Default drain.")
    var onStop: String?
    @Option(help: "With --cluster and --on-stop drain: seconds to wait for the running matches to end (default 600).")
    var drainTimeout: Double?

    @OptionGroup var limits: ScriptLimitOptions

    @Option(help: "Milliseconds a match's tick or join may run before the match is abandoned, its clients closed and its thread parked: a last resort for a call the Lua limits could not stop (default: 10 × --time-limit-ms).")
    var hardLimitMs: Int?

    /// Defaults for every match's `game.init(match, params)`; `POST /matches` overrides them key by key.
    @OptionGroup var parameters: GameParameterOptions

    /// `--advertise`, checked; nil (the listening address) only when that
    /// is a loopback one, which other machines could not reach anyway.
    static func advertisedURL(_ text: String?, host: String) throws -> String? {
        guard let text else {
            guard ["127.0.0.1", "::1", "localhost"].contains(host) else {
                throw ValidationError("--cluster needs --advertise ws://HOST:PORT: the address players reach this node at (it listens on \(host))")
            }
            return nil
        }
        guard let url = URLComponents(string: text), url.scheme == "ws" || url.scheme == "wss",
              let name = url.host, !name.isEmpty, url.path.isEmpty || url.path == "/", url.query == nil else {
            throw ValidationError("--advertise must be ws://HOST:PORT or wss://HOST:PORT, not \(text)")
        }
        return text.hasSuffix("/") ? String(text.dropLast()) : text
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let settings = try ServeSettings(environment: environment)
        var config = ServerConfiguration()
        config.host = try settings.value(host, "host", default: config.host)
        config.port = try settings.value(port, "port", default: config.port, in: 0...65535)
        if folder != nil, games != nil { throw ValidationError("give the games folder once: as the argument or as --games") }
        config.gamesFolder = try settings.value(folder ?? games, "games", default: config.gamesFolder)
        config.webFolder = try settings.optional(web, "web") ?? ProjectFolder.web
        config.tlsCertificate = try settings.optional(tlsCert, "tls-cert")
        config.tlsKey = try settings.optional(tlsKey, "tls-key")
        config.allowedOrigins = allowedOrigin.isEmpty ? settings.list("allowed-origin") : allowedOrigin
        config.jwtSecret = try settings.optional(jwtSecret, "jwt-secret")
        config.resumeGrace = .seconds(try settings.value(resumeGrace, "resume-grace", default: 10, in: 0...86_400))
        config.emptyMatchTimeout = .milliseconds(Int64(try settings.value(emptyTimeout, "empty-timeout", default: 60, in: 1...604_800) * 1000))
        config.maxMessageBytes = try settings.value(maxMessageBytes, "max-message-bytes", default: config.maxMessageBytes, in: 64...(1 << 24))
        config.maxMessagesPerSecond = try settings.value(maxMessagesPerSecond, "max-messages-per-second", default: config.maxMessagesPerSecond, in: 1...100_000)
        config.maxOutboundBytes = try settings.value(maxOutboundBytes, "max-outbound-bytes", default: config.maxOutboundBytes, in: (64 << 10)...(1 << 30))
        config.handshakeTimeout = .milliseconds(Int64(try settings.value(handshakeTimeout, "handshake-timeout", default: 10, in: 0.1...3600) * 1000))
        config.pingInterval = .milliseconds(Int64(try settings.value(pingInterval, "ping-interval", default: 15, in: 0.1...3600) * 1000))
        config.idleTimeout = .milliseconds(Int64(try settings.value(idleTimeout, "idle-timeout", default: 45, in: 0.2...7200) * 1000))
        config.maxConnections = try settings.value(maxConnections, "max-connections", default: config.maxConnections, in: 1...1_000_000)
        config.maxMatches = try settings.value(maxMatches, "max-matches", default: config.maxMatches, in: 1...1_000_000)
        config.maxSpectatorsPerMatch = try settings.value(maxSpectators, "max-spectators", default: config.maxSpectatorsPerMatch, in: 0...100_000)
        config.threads = try settings.value(threads, "threads", default: config.threads, in: 1...1024)
        config.hotReload = dev || watch
        if dev {
            config.stateAccess = .open
        } else if let token = try settings.optional(operatorToken, "operator-token") {
            guard token.utf8.count >= 16 else { throw ValidationError("--operator-token (or TICKWIRE_OPERATOR_TOKEN) must be at least 16 bytes") }
            config.stateAccess = .token(token)
        }
        config.match.limits = limits.luaLimits
        config.match.failurePolicy = limits.failurePolicy
        config.match.cpuBudget = limits.cpuBudget
        if let hardLimitMs {
            guard (1...36_000_000).contains(hardLimitMs) else { throw ValidationError("--hard-limit-ms must be from 1 to 36000000") }
            config.hardLimit = .milliseconds(hardLimitMs)
        }
        config.match.params = try parameters.parsed()
        if let url = try settings.optional(cluster, "cluster") {
            do { config.cluster = try ClusterDatabaseURL(url) } catch { throw ValidationError("--cluster: \(error)") }
            config.advertise = try Self.advertisedURL(try settings.optional(advertise, "advertise"), host: config.host)
            let drain = Duration.milliseconds(Int64(try settings.value(drainTimeout, "drain-timeout", default: 600, in: 0...86_400) * 1000))
            switch try settings.value(onStop, "on-stop", default: "drain") {
            case "drain": config.clusterStop = .drain(drain)
            case "hand-over": config.clusterStop = .handOver
            case "end": config.clusterStop = .end
            case let other: throw ValidationError("--on-stop must be drain, hand-over or end, not \(other)")
            }
        } else if try settings.optional(advertise, "advertise") != nil {
            throw ValidationError("--advertise is for a cluster node: give --cluster too")
        } else if try settings.optional(onStop, "on-stop") != nil || drainTimeout != nil {
            throw ValidationError("--on-stop and --drain-timeout are for a cluster node: give --cluster too")
        }
        let levelName = try settings.value(logLevel, "log-level", default: "info")
        guard let level = Logger.Level(rawValue: levelName) else {
            throw ValidationError("--log-level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")), not \(levelName)")
        }

        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "tickwire")
        let maxMb = try settings.value(recordMaxMb, "record-max-mb", default: 1024, in: 1...(1 << 30))
        if let folder = try settings.optional(record, "record") {
            do {
                let recordings = try RecordingFolder(path: folder, maxBytes: maxMb << 20)
                config.makeMatchLog = ServerRecording.makeLog(folder: recordings, logger: logger)
            } catch {
                throw ServeError("--record \(folder): \(error)")
            }
        }
        let scheme = config.tlsCertificate == nil ? "http" : "https"
        let host = config.host
        let server: TickwireServer
        do {
            server = try await TickwireServer(configuration: config, logger: logger) { port in
                FileHandle.standardError.write(Data("listening on \(scheme)://\(host):\(port)\n".utf8))
            }
        } catch let error as TickwireServer.StartError {
            throw ServeError(error.description)
        }
        // The server binds inside the group, after SIGTERM/SIGINT are trapped:
        // a signal right after "listening on" still shuts down cleanly.
        let services = ServiceGroup(configuration: .init(services: [server], gracefulShutdownSignals: [.sigterm, .sigint],
                                                         logger: logger))
        do {
            try await services.run()
        } catch let error as TickwireServer.StartError {
            throw ServeError(error.description)
        }
    }
}

/// A start-up failure, printed as `tickwire serve: <why>` with exit status 1.
struct ServeError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Where `serve` takes what the command line left out: `TICKWIRE_*`
/// variables, then the defaults. A variable that does not parse is an error
/// naming it, never silently ignored.
struct ServeSettings {
    let environment: [String: String]

    init(environment: [String: String]) throws { self.environment = environment }

    static func variable(_ option: String) -> String {
        "TICKWIRE_" + option.uppercased().replacingOccurrences(of: "-", with: "_")
    }

    func optional(_ flag: String?, _ option: String) throws -> String? {
        flag ?? environment[Self.variable(option)].flatMap { $0.isEmpty ? nil : $0 }
    }

    func value(_ flag: String?, _ option: String, default fallback: String) throws -> String {
        try optional(flag, option) ?? fallback
    }

    func list(_ option: String) -> [String] {
        (environment[Self.variable(option)] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    func value<T: LosslessStringConvertible & Comparable>(_ flag: T?, _ option: String, default fallback: T,
                                                          in range: ClosedRange<T>) throws -> T {
        let name = Self.variable(option)
        let chosen: T
        if let flag {
            chosen = flag
        } else if let text = environment[name], !text.isEmpty {
            guard let parsed = T(text) else { throw ValidationError("\(name)=\(text) is not a valid value for --\(option)") }
            chosen = parsed
        } else {
            chosen = fallback
        }
        guard range.contains(chosen) else {
            throw ValidationError("--\(option) (or \(name)) must be from \(range.lowerBound) to \(range.upperBound), not \(chosen)")
        }
        return chosen
    }
}
