import Cluster
import Engine
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// The games this server serves and the matches running now: matchmaking,
/// lookups by match id and resume token, and where a new match lives.
///
/// Thread-safe: connections on any loop ask it where to go; the hosts it
/// returns are then reached on their own loops. It holds only this process's
/// matches; nothing here assumes it holds every match of a fleet.
final class MatchDirectory: Sendable {
    /// The games served now, by the name `/play?game=` takes; a reload
    /// replaces one (`reload(game:)`).
    var games: [String: GameDefinition] { catalog.withLockedValue { $0.games } }
    /// Games of the folder that do not load, with why (file:line): at the
    /// start, or since a reload of a game never served.
    var brokenGames: [String: String] { catalog.withLockedValue { $0.broken } }
    /// Why the last reload of a served game was refused (it still serves
    /// the rules that loaded before), by game.
    var reloadErrors: [String: String] { catalog.withLockedValue { $0.reloadErrors } }
    let catalog: NIOLockedValueBox<Catalog>

    struct Catalog {
        var games: [String: GameDefinition]
        var broken: [String: String]
        var reloadErrors: [String: String] = [:]
    }
    let group: EventLoopGroup
    let options: MatchOptions
    private let settings: MatchHost.Settings
    private let maxMatches: Int
    let metrics: ServerMetrics
    let logger: Logger
    let state = NIOLockedValueBox(State())

    struct State {
        var hosts: [String: MatchHost] = [:]
        var tokens: [String: MatchHost] = [:]
        /// Matches being created (counted against `maxMatches`).
        var starting = 0
        /// The last matchmaking join of each game: the next one starts when
        /// it is done, so each sees the seats the previous took.
        var turns: [String: EventLoopFuture<Void>] = [:]
        /// Matches matchmaking placed here, being started by their first
        /// player, by id: later players wait for the same start.
        var placed: [String: EventLoopFuture<MatchHost>] = [:]
        /// Matches being taken over from a dead node, by their players'
        /// resume tokens: a resume that arrives first waits for the start.
        var adopting: [String: EventLoopFuture<MatchHost>] = [:]
        var stopping = false
    }

    /// The cluster this server is a node of, if any (seat tokens).
    let cluster: ServerCluster

    init(games: [String: GameDefinition], brokenGames: [String: String] = [:], group: EventLoopGroup, options: MatchOptions,
         settings: MatchHost.Settings, maxMatches: Int, metrics: ServerMetrics, logger: Logger,
         cluster: ServerCluster = ServerCluster()) {
        self.cluster = cluster
        catalog = NIOLockedValueBox(Catalog(games: games, broken: brokenGames))
        self.group = group
        self.options = options
        self.settings = settings
        self.maxMatches = maxMatches
        self.metrics = metrics
        self.logger = logger
    }

    // MARK: Lookups

    func host(id: String) -> MatchHost? { state.withLockedValue { $0.hosts[id] } }

    func host(forToken token: String) -> MatchHost? { state.withLockedValue { $0.tokens[token] } }

    /// Every running match, oldest first.
    func summaries() -> [MatchSummary] {
        state.withLockedValue { Array($0.hosts.values) }.map(\.summary).filter(\.running)
            .sorted { ($0.ageSeconds, $0.id) > ($1.ageSeconds, $1.id) }
    }

    /// The matches of this server now, in no order.
    func runningHosts() -> [MatchHost] { state.withLockedValue { Array($0.hosts.values) } }

    var matchCount: Int { state.withLockedValue { $0.hosts.count } }

    /// True once shutdown (or a cluster node's drain) began: no new match
    /// starts, `/healthz` answers 503, and the cluster places nothing here.
    var isStopping: Bool { state.withLockedValue { $0.stopping } }

    /// A cluster node's drain: no new matches; the running ones go on.
    func beginDraining() { state.withLockedValue { $0.stopping = true } }

    /// How long a player's seat waits for them to come back.
    var resumeGrace: Duration { settings.resumeGrace }

    func register(token: String, host: MatchHost) { state.withLockedValue { $0.tokens[token] = host } }

    func retire(token: String) { _ = state.withLockedValue { $0.tokens.removeValue(forKey: token) } }

    func remove(_ host: MatchHost) {
        let count = state.withLockedValue { state -> Int in
            if state.hosts[host.id] === host { state.hosts.removeValue(forKey: host.id) }
            return state.hosts.count
        }
        metrics.matches.record(count)
    }

    // MARK: Creating

    /// Why a match could not be created.
    struct CreateError: Error, CustomStringConvertible {
        enum Kind { case unknownGame, tooManyMatches, failedToStart, shuttingDown }
        let kind: Kind
        let description: String
    }

    /// Starts a match of `game` on a thread of its own. Fails if `game.init`
    /// has not finished within the hard limit (its thread is then parked).
    func create(game name: String, params: [String: MatchParameter]? = nil, id chosen: String? = nil) -> EventLoopFuture<MatchHost> {
        let loop = group.next()
        guard let game = games[name] else {
            let known = games.keys.sorted().joined(separator: ", ")
            return loop.makeFailedFuture(CreateError(kind: .unknownGame, description: "no game named \"\(name)\" (this server has: \(known))"))
        }
        let admitted = state.withLockedValue { state -> CreateError? in
            if state.stopping { return CreateError(kind: .shuttingDown, description: "the server is shutting down") }
            guard state.hosts.count + state.starting < maxMatches else {
                return CreateError(kind: .tooManyMatches, description: "the server runs its most matches (\(maxMatches)); try again later")
            }
            state.starting += 1
            return nil
        }
        if let admitted { return loop.makeFailedFuture(admitted) }
        var options = options
        options.seed = Int64.random(in: 1...Int64.max)
        // Params of a request override the server's defaults, key by key.
        if let params { options.params.merge(params) { $1 } }
        let id = chosen ?? newMatchID()
        let thread = MatchThread()
        let started = MatchHost.start(id: id, game: game, gameKey: name, options: options, settings: settings, directory: self,
                                      metrics: metrics, logger: logger, on: thread)
        return within(settings.hardLimit, on: loop, started) {
            thread.park()
            self.metrics.matchesAbandoned.increment()
            self.logger.error("match abandoned", metadata: ["match": "\(id)", "game": "\(name)",
                                                            "reason": "game.init ran past the hard limit of \(self.settings.hardLimit)"])
            return CreateError(kind: .failedToStart, description: "game.init did not finish within \(self.settings.hardLimit)")
        }
            .flatMapErrorThrowing { error in
                // A thread that timed out is parked; one whose game.init failed is done.
                if !(error is CreateError) { thread.retire() }
                self.state.withLockedValue { $0.starting -= 1 }
                self.logger.error("match failed to start", metadata: ["game": "\(name)", "error": "\(error)"])
                throw CreateError(kind: .failedToStart, description: "the match failed to start: \(error)")
            }
            .map { host in
                let count = self.state.withLockedValue { state -> Int in
                    state.starting -= 1
                    state.hosts[host.id] = host
                    return state.hosts.count
                }
                self.metrics.matches.record(count)
                return host
            }
    }

    /// Starts a match that plays `recording` back for spectators (with
    /// `game`, which need not be one of the folder's games).
    func startReplay(_ recording: Recording, game: GameDefinition, file: String, speed: Double) -> EventLoopFuture<MatchHost> {
        let id = newMatchID()
        let thread = MatchThread()
        return MatchHost.startReplay(id: id, recording: recording, game: game, gameKey: recording.header.game, file: file, speed: speed, settings: settings,
                                     directory: self, metrics: metrics, logger: logger, on: thread)
            .map { host in
                self.state.withLockedValue { $0.hosts[host.id] = host }
                return host
            }
    }

    /// The playbacks running, in match id order (`GET /replay`).
    var playbacks: [ReplayPlayback] {
        state.withLockedValue { $0.hosts.values.compactMap(\.playback) }.sorted { $0.status.match < $1.status.match }
    }

    private func newMatchID() -> String {
        while true {
            let id = ResumeToken.random(characters: 10)
            if host(id: id) == nil { return id }
        }
    }

    /// `future`, or `timedOut()`'s error once `limit` has passed, on `loop`
    /// (a socket loop): a match whose thread is stuck never answers, and
    /// nobody waits for it longer than the hard limit.
    func within<T: Sendable>(_ limit: Duration, on loop: EventLoop, _ future: EventLoopFuture<T>,
                                     timedOut: @escaping @Sendable () -> Error) -> EventLoopFuture<T> {
        let promise = loop.makePromise(of: T.self)
        let timer = loop.scheduleTask(in: TimeAmount(limit)) { promise.fail(timedOut()) }
        future.whenComplete { result in
            timer.cancel()
            promise.completeWith(result)
        }
        return promise.futureResult
    }

    /// Asks `host` (on its thread) to admit `link`; answered on `loop`, with
    /// a refusal if the match does not answer within the hard limit.
    private func admit(_ host: MatchHost, _ admission: MatchSeating.Admission, link: ClientLink,
                       on loop: EventLoop) -> EventLoopFuture<(MatchHost?, MatchSeating.Admitted)> {
        guard let asked = host.thread.submit({ (Optional(host), host.admit(admission, link: link)) }) else {
            return loop.makeSucceededFuture((nil, .refused(.error(.matchOver, "the match is over"))))
        }
        return within(settings.hardLimit, on: loop, asked) { NotAnswering() }
            .recover { _ in (nil, .refused(.error(.matchOver, "the match did not answer within \(self.settings.hardLimit)"))) }
    }

    struct NotAnswering: Error {}

    // MARK: Seating

    /// Finds or makes the match `request` asks for and seats `link` in it.
    func seat(_ request: PlayRequest, name: String, account: String?, link: ClientLink)
        -> EventLoopFuture<(MatchHost?, MatchSeating.Admitted)> {
        let loop = link.channel.eventLoop
        @Sendable func admit(_ host: MatchHost, _ admission: MatchSeating.Admission) -> EventLoopFuture<(MatchHost?, MatchSeating.Admitted)> {
            self.admit(host, admission, link: link, on: loop)
        }
        @Sendable func refuse(_ code: ErrorMessage.Code, _ reason: String) -> EventLoopFuture<(MatchHost?, MatchSeating.Admitted)> {
            loop.makeSucceededFuture((nil, .refused(.error(code, reason))))
        }
        switch request.target {
        case .spectate(let matchID, let follow):
            guard let host = host(id: matchID) else { return refuse(.notFound, "no match \"\(matchID)\" on this server") }
            return admit(host, .spectator(follow: follow))
        case .resume(let token):
            guard let host = host(forToken: token) else {
                if let adopting = state.withLockedValue({ $0.adopting[token] }) {
                    return adopting.hop(to: loop).flatMap { admit($0, .resume(token: token)) }.flatMapError { _ in
                        refuse(.notFound, "the match of this resume token could not be taken over from its dead node")
                    }
                }
                return refuse(.notFound, "no seat holds this resume token (its grace period may have ended)")
            }
            return admit(host, .resume(token: token))
        case .play(let game, let matchID?) where request.seat != nil:
            let token = request.seat ?? ""
            return seatReserved(token: token, game: game, matchID: matchID, on: loop).flatMap { host in
                guard let host else {
                    return refuse(.notFound, "the seat token is unknown here, taken or expired; ask POST /matchmake again")
                }
                return admit(host, .player(name: name, account: account)).always { result in
                    if case .success((_, .player)) = result { self.cluster.node?.redeemed(token) } else { self.cluster.node?.release(token) }
                }
            }.flatMapError { error in
                self.cluster.node?.release(token)
                return refuse(.refused, "the seat could not be taken: \(ClusterNode.describe(error))")
            }
        case .play(let game, let matchID?):
            guard let host = host(id: matchID), host.gameKey == game else {
                return refuse(.notFound, "no \(game) match \"\(matchID)\" on this server")
            }
            return admit(host, .player(name: name, account: account))
        case .play(let game, nil):
            guard games[game] != nil else {
                return refuse(.notFound, "no game named \"\(game)\" (this server has: \(games.keys.sorted().joined(separator: ", ")))")
            }
            return inTurn(game: game, on: link.channel.eventLoop) {
                self.matchmake(game: game, candidates: self.openMatches(of: game)[...],
                               admission: .player(name: name, account: account), link: link)
            }
        }
    }

    /// The match a seat token reserved here: running, or started now with
    /// the id matchmaking gave it (once, however many of its players
    /// arrive together); nil when the token is not one for this node.
    private func seatReserved(token: String, game: String, matchID: String, on loop: EventLoop) -> EventLoopFuture<MatchHost?> {
        guard let node = cluster.node else { return loop.makeSucceededFuture(nil) }
        let promise = loop.makePromise(of: (matchID: String, provisional: Bool)?.self)
        promise.completeWithTask { try await node.seat(token: token, game: game) }
        return promise.futureResult.flatMap { seat -> EventLoopFuture<MatchHost?> in
            guard let seat else { return loop.makeSucceededFuture(nil) }
            guard seat.matchID == matchID else { node.release(token); return loop.makeSucceededFuture(nil) }
            if let host = self.host(id: matchID) { return loop.makeSucceededFuture(host) }
            guard seat.provisional else { node.release(token); return loop.makeSucceededFuture(nil) }
            let promise = loop.makePromise(of: MatchHost.self)
            let pending = self.state.withLockedValue { state -> EventLoopFuture<MatchHost>? in
                if let pending = state.placed[matchID] { return pending }
                state.placed[matchID] = promise.futureResult
                return nil
            }
            if let pending {
                // Another player of the same new match is starting it: wait for that start.
                promise.completeWith(pending)
                return pending.map { Optional($0) }.hop(to: loop)
            }
            promise.completeWith(self.create(game: game, id: matchID))
            promise.futureResult.whenComplete { _ in _ = self.state.withLockedValue { $0.placed.removeValue(forKey: matchID) } }
            return promise.futureResult.map { Optional($0) }
        }
    }

    /// Open matches of `game` with a free seat, fullest first; a match the
    /// rules locked (`match:lock()`) is not open.
    private func openMatches(of game: String) -> [MatchHost] {
        state.withLockedValue { Array($0.hosts.values) }
            .filter { $0.gameKey == game }
            .map { ($0, $0.summary) }
            .filter { $0.1.running && $0.1.players < $0.1.capacity && $0.1.locked != true }
            .sorted { ($0.1.players, $1.1.ageSeconds) > ($1.1.players, $0.1.ageSeconds) }
            .map(\.0)
    }

    /// Runs `join` after the previous matchmaking join of `game` is done.
    /// Joins that arrive together then fill one match before the next, and
    /// never start a match each: a join takes a few tens of microseconds
    /// (a hop to the match's loop and `game.join`), so one at a time per
    /// game is not a bottleneck.
    private func inTurn<T: Sendable>(game: String, on loop: EventLoop,
                                     _ join: @escaping @Sendable () -> EventLoopFuture<T>) -> EventLoopFuture<T> {
        let done = loop.makePromise(of: T.self)
        let turn = done.futureResult.map { _ in }.recover { _ in }
        let previous = state.withLockedValue { state -> EventLoopFuture<Void>? in
            defer { state.turns[game] = turn }
            return state.turns[game]
        }
        turn.whenComplete { _ in
            self.state.withLockedValue { state in
                if state.turns[game] === turn { state.turns[game] = nil }
            }
        }
        if let previous {
            previous.whenComplete { _ in join().cascade(to: done) }
        } else {
            join().cascade(to: done)
        }
        return done.futureResult
    }

    /// Tries the open matches fullest first, then a new one. A match that
    /// ended or filled meanwhile (a join by id, a resume) sends the join on;
    /// a race lost everywhere starts over, a few times.
    private func matchmake(game: String, candidates: ArraySlice<MatchHost>, admission: MatchSeating.Admission,
                           link: ClientLink, attempt: Int = 1) -> EventLoopFuture<(MatchHost?, MatchSeating.Admitted)> {
        let loop = link.channel.eventLoop
        guard let host = candidates.first else {
            return create(game: game)
                .flatMap { host in self.admit(host, admission, link: link, on: loop) }
                .flatMap { (host, admitted) in
                    guard Self.lostRace(admitted), attempt < 4 else { return loop.makeSucceededFuture((host, admitted)) }
                    return self.matchmake(game: game, candidates: self.openMatches(of: game)[...], admission: admission,
                                          link: link, attempt: attempt + 1)
                }
                .flatMapErrorThrowing { error in
                    let reason = (error as? CreateError)?.description ?? "\(error)"
                    return (nil, .refused(.error(.matchFull, reason)))
                }
        }
        return admit(host, admission, link: link, on: loop).flatMap { (host, admitted) in
            guard Self.lostRace(admitted) else { return loop.makeSucceededFuture((host, admitted)) }
            return self.matchmake(game: game, candidates: candidates.dropFirst(), admission: admission, link: link, attempt: attempt)
        }
    }

    /// A refusal that another join or the match's end caused: try elsewhere.
    private static func lostRace(_ admitted: MatchSeating.Admitted) -> Bool {
        switch admitted {
        case .refused(.error(.matchFull, _)), .refused(.error(.matchOver, _)): true
        default: false
        }
    }

    // MARK: Cluster

    /// Starts a match of a dead node from its log (`MatchHost.adopt`); the
    /// node hears whether it runs here now. Its players' resumes wait for it.
    func adopt(_ adoption: ClusterNode.Adoption, node: ClusterNode) {
        guard let game = games[adoption.game], !isStopping else {
            node.giveUp(adoption.matchID)
            return
        }
        let loop = group.next()
        let promise = loop.makePromise(of: MatchHost.self)
        state.withLockedValue { state in
            for seat in adoption.seats { state.adopting[seat.token] = promise.futureResult }
        }
        let thread = MatchThread()
        MatchHost.adopt(adoption, game: game, options: options, logs: node.logs, settings: settings, directory: self,
                        metrics: metrics, logger: logger, on: thread)
            .whenComplete { result in
                switch result {
                case .success(let host):
                    let count = self.state.withLockedValue { state -> Int in
                        state.hosts[host.id] = host
                        for seat in adoption.seats { state.adopting.removeValue(forKey: seat.token) }
                        return state.hosts.count
                    }
                    self.metrics.matches.record(count)
                    self.metrics.clusterMatchesAdopted.increment()
                    node.adopted(adoption.matchID)
                    promise.succeed(host)
                case .failure(let error):
                    thread.retire()
                    node.logs.close(match: adoption.matchID)
                    self.state.withLockedValue { state in
                        for seat in adoption.seats { state.adopting.removeValue(forKey: seat.token) }
                    }
                    self.logger.error("a match of a dead node could not be taken over: it is lost",
                                      metadata: ["match": "\(adoption.matchID)", "game": "\(adoption.game)", "error": "\(error)"])
                    node.giveUp(adoption.matchID)
                    promise.fail(error)
                }
            }
    }

    /// Ends matches another node took over (this node was taken for dead):
    /// their players are told to resume through `POST /matchmake`.
    func movedAway(_ ids: [String]) {
        for id in ids {
            guard let host = host(id: id) else { continue }
            _ = host.thread.submit {
                host.end(reason: .error(.matchOver, "this match moved to another node of the cluster: resume through POST /matchmake"))
            }
        }
    }

    // MARK: Shutdown

    /// Refuses new matches and stops every running one (each finishes its
    /// current tick and asks `game.result` one last time). A match that has
    /// not stopped within the hard limit is abandoned, so shutdown never
    /// waits for a stuck one.
    func stopAll() -> EventLoopFuture<Void> {
        let hosts = state.withLockedValue { state in
            state.stopping = true
            return Array(state.hosts.values)
        }
        let loop = group.next()
        let stops = hosts.map { host in
            within(settings.hardLimit, on: loop, host.stop(answeringOn: loop)) { NotAnswering() }
                .recover { error in
                    // Only a match that did not answer is abandoned; one whose
                    // thread ended meanwhile (the match was over) has stopped.
                    guard error is NotAnswering else { return }
                    self.abandon(host, because: "it did not stop within \(self.settings.hardLimit) of the shutdown")
                }
        }
        return EventLoopFuture.andAllComplete(stops, on: loop)
    }

    // MARK: Supervision

    /// Looks at every match's current work every `period`, on a socket loop
    /// (never a match's), and abandons a match whose work has run past the
    /// hard limit. Runs until the loop shuts down.
    func supervise(every period: TimeAmount = .milliseconds(100)) {
        group.next().scheduleRepeatedTask(initialDelay: period, delay: period) { [self] _ in
            let now = NIODeadline.now()
            for host in state.withLockedValue({ Array($0.hosts.values) }) {
                guard let (running, work) = host.busy(now: now), running > settings.hardLimit else { continue }
                abandon(host, because: "\(work) has run for \(running), past the hard limit of \(settings.hardLimit)")
            }
        }
    }

    /// Gives up a match whose thread is stuck: its clients are told and
    /// closed, its seats and resume tokens released, the directory forgets
    /// it and its thread is parked. Every other match goes on. Runs off the
    /// match's thread and touches only what is safe to touch from anywhere.
    func abandon(_ host: MatchHost, because reason: String) {
        guard host.markAbandoned() else { return }
        let parked = host.thread.park()
        // The match's thread may be stuck in Lua: only the log is told, from here.
        host.session.endAbandoned(because: reason)
        let closing = Disconnect.error(.matchOver, "the match was stopped: \(reason)")
        for link in host.links.withLockedValue({ Array($0.values) }) { link.close(closing) }
        let count = state.withLockedValue { state -> Int in
            state.tokens = state.tokens.filter { $0.value !== host }
            if state.hosts[host.id] === host { state.hosts.removeValue(forKey: host.id) }
            return state.hosts.count
        }
        metrics.matches.record(count)
        metrics.matchesAbandoned.increment()
        logger.error("match abandoned", metadata: ["match": "\(host.id)", "game": "\(host.gameKey)", "reason": "\(reason)",
                                                   "thread": "\(parked ? "parked at idle priority" : "left running")"])
    }
}
