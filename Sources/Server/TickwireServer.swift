import Cluster
import Engine
import Foundation
import Logging
import Lua
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import ServiceLifecycle
import WebSocket

/// The game server: HTTP/1.1 and WebSocket on one port, the games of a
/// folder, their matches spread over every core.
///
/// A service with an explicit life: `start()` binds, `run()` (swift-service-
/// lifecycle) serves until a graceful shutdown (SIGTERM/SIGINT), then stops
/// accepting, lets every match finish its tick and run `game.result`, closes
/// players with 1001, and exits.
public final class TickwireServer: Service, Sendable {
    public let configuration: ServerConfiguration
    let group: MultiThreadedEventLoopGroup
    let directory: MatchDirectory
    let metrics: ServerMetrics
    let logger: Logger
    private let auth: PlayerAuth?
    private let files: StaticFiles?
    private let tls: NIOSSLContext?
    private let webSocket: WebSocketConfiguration
    /// Watches the game folders when hot reload is on.
    private let watcher: GameFolderWatcher?
    private let state = NIOLockedValueBox(State())
    /// The cluster this server is a node of (`configuration.cluster`).
    let cluster = ServerCluster()
    /// Called with the bound port once `run()` has started listening.
    private let onListening: @Sendable (Int) -> Void

    private struct State {
        var listener: Channel?
        var connections: [ObjectIdentifier: Channel] = [:]
        var nextLinkID = 1
        var stopped = false
        /// Set as shutdown begins; `stopped` follows once a cluster node has
        /// drained (its players may still reconnect meanwhile).
        var shuttingDown = false
    }

    /// Why the server cannot start: a clear message for the operator.
    public struct StartError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Loads every game in `configuration.gamesFolder` (a broken game stops
    /// the start with its file:line), the TLS files and the web folder.
    public init(configuration: ServerConfiguration, logger: Logger = Logger(label: "tickwire"),
                onListening: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        self.configuration = configuration
        self.logger = logger
        self.onListening = onListening
        let (games, broken) = try configuration.games.map { ($0, [:]) }
            ?? Self.loadGames(folder: configuration.gamesFolder, limits: configuration.match.limits)
        for (name, error) in broken.sorted(by: { $0.key < $1.key }) {
            logger.error("game skipped: it does not load", metadata: ["game": "\(name)", "error": "\(error)"])
        }
        for (name, game) in games.sorted(by: { $0.key < $1.key }) {
            for warning in game.warnings { logger.warning("\(warning)", metadata: ["game": "\(name)"]) }
        }
        files = try configuration.webFolder.flatMap { folder in
            FileManager.default.fileExists(atPath: folder) ? try StaticFiles(root: folder) : nil
        }
        tls = try Self.makeTLS(certificate: configuration.tlsCertificate, key: configuration.tlsKey)
        auth = try await configuration.jwtSecret.asyncMap { try await PlayerAuth(secret: $0) }
        webSocket = WebSocketConfiguration(role: .server, maxMessageBytes: configuration.maxMessageBytes, acceptsText: false,
                                           pingInterval: configuration.pingInterval, idleTimeout: configuration.idleTimeout,
                                           maxFramesPerSecond: configuration.maxMessagesPerSecond,
                                           maxOutboundBytes: configuration.maxOutboundBytes)
        metrics = ServerMetrics()
        group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, configuration.threads))
        directory = MatchDirectory(games: games, brokenGames: broken, group: group, options: configuration.match,
                                   settings: MatchHost.Settings(resumeGrace: configuration.resumeGrace,
                                                                maxSpectators: configuration.maxSpectatorsPerMatch,
                                                                emptyTimeout: configuration.emptyMatchTimeout,
                                                                hardLimit: configuration.hardLimit,
                                                                clock: configuration.clock,
                                                                keepsHistory: configuration.hotReload,
                                                                makeMatchLog: configuration.cluster == nil ? configuration.makeMatchLog
                                                                    : cluster.matchLog(alsoTo: configuration.makeMatchLog, logger: logger)),
                                   maxMatches: configuration.maxMatches, metrics: metrics, logger: logger, cluster: cluster)
        directory.supervise()
        watcher = configuration.hotReload
            ? Self.makeWatcher(configuration: configuration, games: games, broken: broken, directory: directory) : nil
    }

    /// A watcher whose saved edits reload the game they touch.
    private static func makeWatcher(configuration: ServerConfiguration, games: [String: GameDefinition], broken: [String: String],
                                    directory: MatchDirectory) -> GameFolderWatcher {
        var folders = games.mapValues(\.folder)
        for name in broken.keys { folders[name] = "\(configuration.gamesFolder)/\(name)" }
        return GameFolderWatcher(root: configuration.games == nil ? configuration.gamesFolder : nil, folders: folders) { game, folder in
            _ = directory.reload(game: game, folder: folder)
        }
    }

    /// Every game of `folder` that loads, and why each other one does not
    /// (its file:line). A broken game is skipped, not fatal; only a folder
    /// where no game loads stops the start, naming every failure.
    static func loadGames(folder: String, limits: LuaLimits) throws -> (games: [String: GameDefinition], broken: [String: String]) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw StartError(description: "the games folder \(folder) does not exist")
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        var games: [String: GameDefinition] = [:]
        var broken: [String: String] = [:]
        for name in names.sorted() where FileManager.default.fileExists(atPath: "\(folder)/\(name)/game.lua") {
            do {
                games[name] = try GameDefinition.load(folder: "\(folder)/\(name)", limits: limits)
            } catch {
                broken[name] = "\(error)"
            }
        }
        guard !games.isEmpty else {
            if broken.isEmpty { throw StartError(description: "no game in \(folder) (each game is a folder with game.lua)") }
            throw StartError(description: "no game in \(folder) loads:\n"
                + broken.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "\n"))
        }
        return (games, broken)
    }

    static func makeTLS(certificate: String?, key: String?) throws -> NIOSSLContext? {
        switch (certificate, key) {
        case (nil, nil): return nil
        case (let certificate?, let key?):
            do {
                let chain = try NIOSSLCertificate.fromPEMFile(certificate).map { NIOSSLCertificateSource.certificate($0) }
                let privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
                return try NIOSSLContext(configuration: .makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(privateKey)))
            } catch {
                throw StartError(description: "TLS: cannot use \(certificate) and \(key): \(error)")
            }
        default:
            throw StartError(description: "TLS needs both --tls-cert and --tls-key")
        }
    }

    // MARK: Life

    /// Binds and starts accepting; returns the bound port.
    @discardableResult
    /// Starts a match that plays `recording` back with `game`, for clients
    /// to spectate (`tickwire replay FILE --serve`); returns its match id.
    /// `GET /replay` and `POST /replay` then report and steer it.
    public func startReplay(_ recording: Recording, game: GameDefinition, file: String, speed: Double) async throws -> String {
        try await directory.startReplay(recording, game: game, file: file, speed: speed).get().id
    }

    public func start() async throws -> Int {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.writeBufferWaterMark, value: .init(low: 32 * 1024, high: 128 * 1024))
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture { try self.initialize(channel) }
            }
        let listener: Channel
        do {
            listener = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
        } catch {
            throw StartError(description: "cannot listen on \(configuration.host):\(configuration.port): \(error)")
        }
        state.withLockedValue { $0.listener = listener }
        let port = listener.localAddress?.port ?? configuration.port
        if let database = configuration.cluster {
            var settings = ClusterNode.Settings(database: database, advertise: configuration.advertise
                ?? "\(tls == nil ? "ws" : "wss")://\(configuration.host):\(port)")
            settings.heartbeat = configuration.clusterHeartbeat
            settings.nodeTimeout = configuration.clusterNodeTimeout
            do {
                try await cluster.join(settings, within: configuration.clusterJoinTimeout, directory: directory, metrics: metrics, logger: logger)
            } catch {
                try? await listener.close()
                state.withLockedValue { $0.listener = nil }
                throw StartError(description: "\(error)")
            }
        }
        watcher?.start()
        logger.info("listening", metadata: ["address": "\(tls == nil ? "http" : "https")://\(configuration.host):\(port)",
                                            "games": "\(directory.games.keys.sorted().joined(separator: ","))"])
        return port
    }

    /// The bound port (after `start`).
    public var port: Int? { state.withLockedValue { $0.listener?.localAddress?.port } }

    /// Serves until a graceful shutdown is triggered (or the task is
    /// cancelled), then shuts down cleanly.
    public func run() async throws {
        if port == nil { onListening(try await start()) }
        try? await gracefulShutdown()
        await shutdown()
    }

    /// Stops accepting, stops every match (current tick, `game.result`),
    /// closes clients with 1001 and waits for their closing handshakes (up to
    /// a few seconds), then releases the threads. A cluster node first
    /// drains or hands its matches over (`ServerConfiguration.clusterStop`).
    public func shutdown() async {
        let starting = state.withLockedValue { state -> Bool in
            guard !state.shuttingDown, !state.stopped, state.listener != nil else { return false }
            state.shuttingDown = true
            return true
        }
        guard starting else { return }
        logger.info("shutting down")
        watcher?.stop()
        if cluster.node != nil {
            await leaveCluster()
        }
        let listener = state.withLockedValue { state -> Channel? in
            state.stopped = true
            return state.listener
        }
        guard let listener else { return }
        try? await listener.close()
        try? await directory.stopAll().get()
        let deadline = ContinuousClock.now + .seconds(3)
        while ContinuousClock.now < deadline, state.withLockedValue({ !$0.connections.isEmpty }) {
            try? await Task.sleep(for: .milliseconds(20))
        }
        let open = state.withLockedValue { Array($0.connections.values) }
        for channel in open { try? await channel.close() }
        try? await group.shutdownGracefully()
        logger.info("stopped")
    }

    /// A cluster node's way out: drain (no new matches; the running ones go
    /// on until they end, within the drain's limit), then hand over what
    /// still runs; or hand everything over at once; or (`.end`) leave at
    /// once, the matches then ending as a single server's do.
    private func leaveCluster() async {
        var handOver = configuration.clusterStop == .handOver
        if case .drain(let limit) = configuration.clusterStop {
            directory.beginDraining()
            let running = directory.matchCount
            if running > 0 {
                logger.info("draining: no new matches; waiting for the running ones to end",
                            metadata: ["matches": "\(running)", "limit": "\(limit)"])
            }
            let deadline = ContinuousClock.now + limit
            while directory.matchCount > 0, ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(100))
            }
            handOver = directory.matchCount > 0
        }
        if handOver {
            await cluster.handOver(directory)
        } else {
            await cluster.leave()
        }
    }

    // MARK: Connections

    private func initialize(_ channel: Channel) throws {
        let admitted = state.withLockedValue { state -> Bool in
            guard !state.stopped, state.connections.count < configuration.maxConnections else { return false }
            state.connections[ObjectIdentifier(channel)] = channel
            return true
        }
        guard admitted else {
            metrics.refused("too-many-connections")
            channel.close(promise: nil)
            return
        }
        metrics.connections.record(state.withLockedValue { $0.connections.count })
        channel.closeFuture.whenComplete { [self] _ in
            let count = state.withLockedValue { state in
                state.connections.removeValue(forKey: ObjectIdentifier(channel))
                return state.connections.count
            }
            metrics.connections.record(count)
        }
        let sync = channel.pipeline.syncOperations
        if let tls { try sync.addHandler(NIOSSLServerHandler(context: tls)) }
        let refusal = UpgradeRefusal()
        let accepted = AcceptedPlay()
        let endpoints = HTTPEndpoints(directory: directory, metrics: metrics, files: files, upgradeRefusal: refusal,
                                      stateAccess: configuration.stateAccess, cluster: cluster)
        let timeout = HandshakeTimeout(timeout: configuration.handshakeTimeout)
        let upgrader = WebSocketPipeline.serverUpgrader(
            configuration: webSocket,
            shouldUpgrade: { [self] channel, head in decideUpgrade(channel: channel, head: head, refusal: refusal, accepted: accepted) },
            upgradePipelineHandler: { [self] channel, _ in
                channel.eventLoop.makeCompletedFuture {
                    guard let play = accepted.play else { throw StartError(description: "upgrade without a decision") }
                    let sync = channel.pipeline.syncOperations
                    try WebSocketPipeline.addWebSocketHandler(configuration: webSocket, to: sync)
                    try sync.addHandler(PlayerConnection(request: play.request, name: play.name, account: play.account,
                                                         directory: directory, metrics: metrics, logger: logger,
                                                         maxMessagesPerSecond: configuration.maxMessagesPerSecond,
                                                         linkID: nextLinkID()))
                }
            }
        )
        try sync.configureHTTPServerPipeline(withServerUpgrade: (upgraders: [upgrader], completionHandler: { context in
            context.pipeline.syncOperations.removeHandler(name: "tickwire.http", promise: nil)
            context.pipeline.syncOperations.removeHandler(name: "tickwire.handshake-timeout", promise: nil)
        }))
        try sync.addHandler(timeout, name: "tickwire.handshake-timeout")
        try sync.addHandler(endpoints, name: "tickwire.http")
    }

    private func nextLinkID() -> Int {
        state.withLockedValue { state in
            defer { state.nextLinkID += 1 }
            return state.nextLinkID
        }
    }

    /// Decides a `/play` or `/spectate` upgrade: the path and query, the
    /// subprotocol, the origin, and the token when auth is on. A refusal is
    /// left in `refusal` and answered as plain HTTP by `HTTPEndpoints`.
    private func decideUpgrade(channel: Channel, head: HTTPRequestHead, refusal: UpgradeRefusal,
                               accepted: AcceptedPlay) -> EventLoopFuture<HTTPHeaders?> {
        func refuse(_ status: HTTPResponseStatus, _ message: String) -> EventLoopFuture<HTTPHeaders?> {
            refusal.refusal = HTTPRefusal(status, message)
            return channel.eventLoop.makeSucceededFuture(nil)
        }
        guard let parsed = PlayRequest.parse(uri: head.uri) else {
            return refuse(.notFound, "WebSocket connections go to /play or /spectate")
        }
        let request: PlayRequest
        switch parsed {
        case .success(let value): request = value
        case .failure(let error): return refuse(error.status, error.message)
        }
        let offered = head.headers[canonicalForm: "Sec-WebSocket-Protocol"].map { $0.trimmingCharacters(in: .whitespaces) }
        guard offered.contains(ProtocolVersion.subprotocol) else {
            if let other = offered.compactMap(ProtocolVersion.version(ofSubprotocol:)).max() {
                let age = other < ProtocolVersion.current ? "an older" : "a newer"
                return refuse(.badRequest, "this client speaks Tickwire protocol \(other), \(age) version; this server speaks protocol \(ProtocolVersion.current) only (subprotocol \(ProtocolVersion.subprotocol)): use a client of this server's version, e.g. its /tickwire.js")
            }
            return refuse(.badRequest, "ask for the WebSocket subprotocol \(ProtocolVersion.subprotocol); this server speaks protocol version \(ProtocolVersion.current) only")
        }
        if !configuration.allowedOrigins.isEmpty, let origin = head.headers.first(name: "Origin"),
           !configuration.allowedOrigins.contains(origin) {
            return refuse(.forbidden, "the origin \(origin) may not connect to this server")
        }
        let headers: HTTPHeaders = ["Sec-WebSocket-Protocol": ProtocolVersion.subprotocol]
        let name = request.name.isEmpty ? "player" : request.name
        guard let auth else {
            accepted.play = AcceptedPlay.Play(request: request, name: name, account: nil)
            return channel.eventLoop.makeSucceededFuture(headers)
        }
        let token = request.token ?? offered.first { $0.hasPrefix(PlayerAuth.subprotocolPrefix) }
            .map { String($0.dropFirst(PlayerAuth.subprotocolPrefix.count)) }
        guard let token, !token.isEmpty else {
            return refuse(.unauthorized, "this server needs a token: ?token=JWT or the subprotocol \(PlayerAuth.subprotocolPrefix)<JWT>")
        }
        let promise = channel.eventLoop.makePromise(of: HTTPHeaders?.self)
        let loop = channel.eventLoop
        promise.completeWithTask {
            do {
                let identity = try await auth.verify(token)
                let play = AcceptedPlay.Play(request: request, name: identity.name, account: identity.account)
                return try await loop.submit {
                    accepted.play = play
                    return headers
                }.get()
            } catch {
                let message = "the token is not accepted: \(error)"
                return try await loop.submit {
                    refusal.refusal = HTTPRefusal(.unauthorized, message)
                    return nil
                }.get()
            }
        }
        return promise.futureResult
    }
}

/// The play request an upgrade was accepted for, handed from the upgrade
/// decision to the pipeline it builds. One per connection, on its loop.
private final class AcceptedPlay: @unchecked Sendable {
    struct Play {
        let request: PlayRequest
        let name: String
        let account: String?
    }

    var play: Play?
}

private extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
