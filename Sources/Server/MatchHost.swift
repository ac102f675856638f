import Engine
import Logging
import NIOConcurrencyHelpers
import NIOCore
import Synchronization
import WebSocket

/// One match on the network: a thin NIO shell over its `MatchSession` and
/// its `MatchSeating`, as `WebSocketHandler` is over `WebSocketConnection`.
///
/// The host does the I/O: it runs the session on the match's own thread
/// (`MatchThread`), schedules ticks, writes frames, keeps metrics and logs,
/// and publishes a summary. Who sits where, the resume grace, the
/// empty-match timeout and the ack ring are decided by `seating`, a value
/// fed the injected clock's time (`Settings.clock`); the host only performs
/// the actions it returns. Every change to the match goes through
/// `session.apply` (joins, leaves, resumes, inputs, events, the stop) and
/// `session.step`; reads (frames, the welcome, the status) use `match`.
///
/// Invariants: every stored property below `published` is touched only on
/// `eventLoop` (the match's Lua state never crosses threads, and never runs
/// on a thread that serves sockets); connections reach the match through
/// `inbox` (inputs) or by hopping to `eventLoop` (joins, leaves). The tick
/// never waits for a client: a socket that is not writable is skipped and
/// catches up with one delta. While the match runs Lua, `busySince` says
/// since when, so the supervisor can abandon a call that cannot be stopped;
/// once `abandoned` is set, the match's thread touches nothing shared again
/// (the supervisor ends the session's log: `MatchDirectory.abandon`).
final class MatchHost: @unchecked Sendable {
    let id: String
    /// The rules the match runs now, readable from any thread (connections
    /// decode inputs by its schema); replaced only by a reload, on `eventLoop`.
    let rulesBox: NIOLockedValueBox<Rules>
    var rules: Rules { rulesBox.withLockedValue { $0 } }
    var game: GameDefinition { rules.game }
    /// The name the server serves the game under (its folder's name, as in
    /// `/play?game=`), which `game.name` from the rules need not match.
    let gameKey: String
    let eventLoop: EventLoop
    let thread: MatchThread
    let inbox = MatchInbox()
    /// Monotonic nanoseconds at which the current piece of work (a tick, a
    /// join, a leave, the stop) began; 0 while idle. Read by the supervisor.
    let busySince = Atomic<UInt64>(0)
    /// What that work is (`Work.rawValue`).
    private let busyWith = Atomic<Int>(0)
    /// Set once by the supervisor: the match was given up.
    private let abandonedFlag = Atomic<Bool>(false)
    /// The connections the match may write to, by link id, readable from
    /// any thread, so an abandoned match's clients can be told without its
    /// thread. Changed only on `eventLoop`.
    let links = NIOLockedValueBox<[Int: ClientLink]>([:])
    /// Real time of creation: ticks are scheduled from it.
    let created = NIODeadline.now()
    /// The latest summary, readable from any thread (`GET /matches`, matchmaking).
    private let published: NIOLockedValueBox<MatchSummary>
    /// The seats a resume token can take back, readable from any thread
    /// (a cluster node publishes them, so a match taken over elsewhere
    /// knows its players' tokens). Changed when a token is registered or
    /// retired.
    let resumableSeats = NIOLockedValueBox<[ResumableSeat]>([])

    struct ResumableSeat: Sendable, Equatable {
        let player: Int
        let token: String
        let account: String?
        /// The tick the seat was taken at: a cluster publishes its token
        /// only once the match's stored log holds the join (a token for a
        /// join the log lost would resume nothing). `Int.min` for the seats
        /// of a match taken over, whose joins the log already holds.
        let sinceTick: Int
    }

    /// The match behind its boundary. The reference is read from any
    /// thread (the supervisor ends its log) and replaced by a reload; the
    /// session itself is used only on `eventLoop`.
    let sessionBox: NIOLockedValueBox<MatchSession>
    var session: MatchSession { sessionBox.withLockedValue { $0 } }
    let settings: Settings
    let directory: MatchDirectory
    let metrics: ServerMetrics
    var logger: Logger
    var schedule: TickSchedule
    var nextTick: Scheduled<Void>?
    var seating: MatchSeating
    /// `settings.clock` at creation: the seating's time is measured from it.
    private let clockOrigin: NIODeadline
    private(set) var ended = false
    /// Set when the match stopped here for another node to go on with it:
    /// it stays published (running) until the node's last heartbeat.
    private(set) var handedOver = false
    private var lastDropped = 0
    private var lastFailures = 0

    /// A new match's counters start from zero (a reload).
    func resetCounters() {
        lastDropped = match.droppedInputs
        lastFailures = match.failureCount
    }

    struct Settings: Sendable {
        var resumeGrace: Duration
        var maxSpectators: Int
        /// A match nobody is in ends after this; nil: never. A game's
        /// `game.empty_timeout` overrides it for its matches (`start`).
        var emptyTimeout: Duration? = .seconds(60)
        /// Work (a tick, a join) that runs longer than this is taken to be a
        /// call the Lua limits could not stop: the match is abandoned. Ten
        /// times the Lua time limit by default, so only a call that escaped
        /// it reaches this.
        var hardLimit: Duration = .milliseconds(2500)
        /// The time seats run by (grace, empty timeout, ack delays).
        var clock: ServerClock = .system
        /// Matches keep their command history, so a reload of their game's
        /// rules reaches them (`serve --dev`/`--watch`).
        var keepsHistory = false
        /// The longest a reload may replay a match's history (the match
        /// does not tick meanwhile); past it, the match keeps its old rules.
        var reloadLimit: Duration = .seconds(5)
        /// The log each new match records into (`ServerConfiguration.makeMatchLog`).
        var makeMatchLog: (@Sendable (_ matchID: String, _ game: GameDefinition, _ options: MatchOptions) -> (any MatchLog)?)?
    }

    var match: Match { session.match }
    /// Set when the match is a recording played back (`startReplay`).
    let playback: ReplayPlayback?

    /// Creates the match on `thread` (so `game.init` runs where the match will live).
    static func start(id: String, game: GameDefinition, gameKey: String, options: MatchOptions, settings: Settings,
                      directory: MatchDirectory, metrics: ServerMetrics, logger: Logger,
                      on thread: MatchThread) -> EventLoopFuture<MatchHost> {
        thread.eventLoop.submit {
            let logger = logger.forMatch(id, game: gameKey)
            var options = options
            let matchLogger = logger
            options.logLine = matchLogger.matchLine
            var settings = settings
            // The game's own `empty_timeout`, when it says, wins over the server's.
            if let timeout = game.emptyTimeout { settings.emptyTimeout = timeout.duration }
            let log = settings.makeMatchLog?(id, game, options)
            let session = try MatchSession(game: game, options: options, log: log, keepsHistory: settings.keepsHistory)
            let host = MatchHost(id: id, game: game, gameKey: gameKey, session: session, settings: settings, directory: directory,
                                 metrics: metrics, logger: logger, thread: thread)
            host.scheduleNextTick()
            logger.info("match started", metadata: ["seed": "\(options.seed)"])
            return host
        }
    }

    /// Creates a match that plays `recording` back for spectators, on
    /// `thread` (where the replay's Lua state will live). Nobody can take a
    /// seat; nobody watching does not end it.
    static func startReplay(id: String, recording: Recording, game: GameDefinition, gameKey: String, file: String, speed: Double,
                            settings: Settings, directory: MatchDirectory, metrics: ServerMetrics, logger: Logger,
                            on thread: MatchThread) -> EventLoopFuture<MatchHost> {
        thread.eventLoop.submit {
            let logger = logger.forMatch(id, game: gameKey)
            var options = recording.header.replayOptions
            let matchLogger = logger
            options.logLine = matchLogger.matchLine
            let replay = try MatchReplay(recording: recording, game: game, options: options)
            var settings = settings
            settings.emptyTimeout = nil
            let playback = ReplayPlayback(replay: replay, options: options, match: id, file: file, speed: speed)
            let host = MatchHost(id: id, game: game, gameKey: gameKey, session: replay.session, settings: settings, directory: directory,
                                 metrics: metrics, logger: logger, thread: thread, playback: playback)
            host.scheduleNextTick()
            logger.info("replay started", metadata: ["file": "\(file)", "recorded": "\(recording.header.matchID)"])
            return host
        }
    }

    init(id: String, game: GameDefinition, gameKey: String, session: MatchSession, settings: Settings, directory: MatchDirectory,
         metrics: ServerMetrics, logger: Logger, thread: MatchThread, playback: ReplayPlayback? = nil) {
        self.id = id
        self.gameKey = gameKey
        self.playback = playback
        rulesBox = NIOLockedValueBox(Rules(game: game, generation: 0, schemaChangedAt: nil))
        sessionBox = NIOLockedValueBox(session)
        self.settings = settings
        self.directory = directory
        self.metrics = metrics
        self.logger = logger
        self.thread = thread
        eventLoop = thread.eventLoop
        schedule = TickSchedule(tickRate: game.tickRate, start: .zero)
        seating = MatchSeating(settings: MatchSeating.Settings(maxPlayers: game.maxPlayers, maxSpectators: settings.maxSpectators,
                                                               resumeGrace: settings.resumeGrace,
                                                               emptyTimeout: settings.emptyTimeout,
                                                               spectatorsMayFollow: game.visibility.spectators == .everything,
                                                               // A replay sends every tick it shows (paused, sought).
                                                               sendSchedule: playback == nil ? game.sendSchedule : .everyTick))
        clockOrigin = settings.clock.now()
        published = NIOLockedValueBox(MatchSummary(id: id, game: gameKey, players: 0, spectators: 0,
                                                   capacity: game.maxPlayers, tick: session.tick, ageSeconds: 0,
                                                   running: true, replay: playback == nil ? nil : true))
    }

    var summary: MatchSummary { published.withLockedValue { $0 } }

    /// The seating's time: the injected clock, since the match was created.
    func seatingNow() -> Duration { seatingTime(settings.clock.now()) }

    private func seatingTime(_ at: NIODeadline) -> Duration { .nanoseconds((at - clockOrigin).nanoseconds) }

    // MARK: Work the supervisor watches

    /// What a match is doing while it runs Lua.
    enum Work: Int, Sendable, CustomStringConvertible {
        case idle, tick, join, leave, stop, reload, seek
        var description: String {
            switch self {
            case .seek: "a seek (a replay played to another tick)"
            case .reload: "a reload (the match's history replayed on new rules)"
            case .idle: "nothing"
            case .tick: "a tick (game.tick, game.result or an event)"
            case .join: "a join (game.join)"
            case .leave: "a leave (game.leave)"
            case .stop: "its last game.result"
            }
        }
    }

    /// Runs `body` (on the match's loop) marked as busy with `work` since
    /// `start` (the tick passes the time it already read). Work inside
    /// other work (a leave during a tick) counts as the outer work.
    func working<T>(_ work: Work, since start: NIODeadline = .now(), _ body: () throws -> T) rethrows -> T {
        guard busySince.load(ordering: .relaxed) == 0 else { return try body() }
        busyWith.store(work.rawValue, ordering: .relaxed)
        busySince.store(start.uptimeNanoseconds, ordering: .releasing)
        defer { busySince.store(0, ordering: .releasing) }
        return try body()
    }

    /// How long the current work has run, and what it is; nil while idle.
    func busy(now: NIODeadline) -> (Duration, Work)? {
        let since = busySince.load(ordering: .acquiring)
        guard since != 0, now.uptimeNanoseconds > since else { return nil }
        let work = Work(rawValue: busyWith.load(ordering: .relaxed)) ?? .idle
        return (.nanoseconds(Int64(clamping: now.uptimeNanoseconds - since)), work)
    }

    var isAbandoned: Bool { abandonedFlag.load(ordering: .acquiring) }

    /// Marks the match abandoned; true for the first caller only.
    func markAbandoned() -> Bool {
        abandonedFlag.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
    }

    /// Applies `command` to the session, marked as the work it is when it
    /// may run Lua (`game.join`, `game.leave`, `game.result`).
    @discardableResult
    func apply(_ command: MatchCommand) -> MatchSession.Outcome {
        switch command {
        case .join: working(.join) { session.apply(command) }
        case .leave: working(.leave) { session.apply(command) }
        case .stop: working(.stop) { session.apply(command) }
        case .resume, .input, .clientEvent: session.apply(command)
        }
    }

    // MARK: Ticks

    func elapsed(_ at: NIODeadline) -> Duration { .nanoseconds((at - created).nanoseconds) }

    func scheduleNextTick() {
        let deadline = created + TimeAmount(schedule.nextDeadline)
        nextTick = eventLoop.scheduleTask(deadline: deadline) { [self] in runTick() }
    }

    /// A playback's tick: the replay steps (unless paused or over), the
    /// spectators get their frames, and the next tick comes at the
    /// playback's speed. It never ends the match: the last state stays.
    private func runPlayback(_ playback: ReplayPlayback) {
        eventLoop.preconditionInEventLoop()
        guard !ended, !isAbandoned else { return }
        let started = NIODeadline.now()
        var next = schedule.period
        working(.tick, since: started) {
            applyInbox()
            perform(seating.tickDue(now: seatingNow()))
            next = playback.tick(period: schedule.period)
        }
        guard !isAbandoned else { return thread.retire() }
        guard !ended else { return }
        fanOut()
        publish()
        nextTick = eventLoop.scheduleTask(in: TimeAmount(next)) { [self] in runPlayback(playback) }
    }

    private func runTick() {
        if let playback { return runPlayback(playback) }
        eventLoop.preconditionInEventLoop()
        guard !ended, !isAbandoned else { return }
        let started = NIODeadline.now()
        let overruns = schedule.overruns
        schedule.tickStarted(at: elapsed(started))
        if schedule.overruns > overruns {
            metrics.overruns.increment()
            if schedule.overruns.isPowerOfTwo { logger.warning("tick overrun", metadata: ["overruns": "\(schedule.overruns)"]) }
        }
        working(.tick, since: started) {
            applyInbox()
            // Seats whose grace ended are freed before the tick; a match
            // nobody has been in for the empty timeout ends here.
            perform(seating.tickDue(now: seatingNow()))
            if !ended { session.step() }
        }
        // Given up while the tick ran: the supervisor has told the clients.
        guard !isAbandoned else { return thread.retire() }
        guard !ended else { return }
        countFailures()
        fanOut()
        metrics.tickDuration.recordNanoseconds((NIODeadline.now() - started).nanoseconds)
        publish()
        if session.isRunning {
            scheduleNextTick()
        } else {
            end(reason: .close(.normalClosure, "the match is over"))
        }
    }

    func applyInbox() {
        let generation = rules.generation
        for item in inbox.drain() {
            switch item {
            case .input(let player, let link, let rules, let message):
                // Decoded by rules a reload has replaced: its layout may not be this schema's.
                guard rules == generation, seating.isAttached(player: player, link: link) else { continue }
                apply(.input(player: player, sequence: UInt32(truncatingIfNeeded: message.sequence), values: message.values))
            case .clientEvent(let player, let link, let rules, let message):
                guard rules == generation, seating.isAttached(player: player, link: link) else { continue }
                apply(.clientEvent(player: player, event: message.event, values: message.values, strings: message.strings))
            case .ack(_, _, let tick, let at):
                if let delay = seating.ackDelay(tick: tick, at: seatingTime(at)) {
                    metrics.ackDelay.recordNanoseconds(TimeAmount(delay).nanoseconds)
                }
            }
        }
    }

    private func countFailures() {
        let dropped = match.droppedInputs
        if dropped > lastDropped { metrics.inputsDropped.increment(by: Int64(dropped - lastDropped)) }
        lastDropped = dropped
        if match.failureCount > lastFailures { metrics.luaErrors.increment(by: Int64(match.failureCount - lastFailures)) }
        lastFailures = match.failureCount
    }

    /// Hands every writable client the frame for its baseline. Writes are
    /// batched per event loop: one hop per loop per tick, not per client.
    private func fanOut() {
        let match = self.match
        guard let current = match.snapshots.latest else { return }
        let table = links.withLockedValue { $0 }
        let plan = seating.fanOut(tick: current.tick, history: match.snapshots.capacity, now: seatingNow()) { id in
            table[id]?.isWritable ?? false
        }
        var batches = FrameBatches()
        for delivery in plan.deliveries {
            guard let link = table[delivery.link] else { continue }
            guard let frame = match.snapshotFrame(baseline: delivery.baseline, prior: delivery.prior, eventsAfter: delivery.eventsAfter,
                                                  audience: delivery.audience, viewer: delivery.viewer) else { continue }
            // Built here, on the match's thread, with its WebSocket header in
            // front: the socket's loop only writes it.
            let message = FramedBinaryMessage(allocator: link.channel.allocator, capacity: frame.count) { buffer in
                buffer.writeBytes(frame.header)
                buffer.writeBytes(frame.state)
                buffer.writeBytes(frame.events)
            }
            batches.add(message, to: link.channel)
            metrics.bytesOut.increment(by: Int64(frame.count))
            metrics.frameBytes.record(frame.count)
        }
        if !batches.isEmpty {
            batches.send()
            seating.framesSent(tick: current.tick, at: seatingNow())
        }
        for _ in plan.tooSlow { metrics.disconnected("too-slow") }
        perform(plan.actions)
    }

    func publish() {
        let (players, watching) = (seating.playerCount, seating.spectatorCount)
        let before = published.withLockedValue { ($0.players, $0.spectators) }
        if (players, watching) != before { metrics.seatsChanged(players: players - before.0, spectators: watching - before.1) }
        let summary = MatchSummary(id: id, game: gameKey, players: players, spectators: watching,
                                   capacity: game.maxPlayers, tick: match.tick,
                                   ageSeconds: Double((NIODeadline.now() - created).nanoseconds) / 1e9,
                                   running: session.isRunning && (!ended || handedOver), replay: playback == nil ? nil : true,
                                   locked: match.isLocked ? true : nil)
        published.withLockedValue { $0 = summary }
    }

    // MARK: Ending

    /// Ends the match: every client is closed with `reason`, seats and
    /// tokens are released, the session's log is closed and the directory
    /// forgets the match.
    func end(reason: Disconnect) {
        guard !ended else { return }
        ended = true
        nextTick?.cancel()
        perform(seating.end(reason))
        links.withLockedValue { $0.removeAll() }
        publish()
        directory.remove(self)
        session.end()
        thread.retire()
        var metadata: Logger.Metadata = ["tick": "\(match.tick)", "hash": "\(match.stateHash)"]
        switch match.status {
        case .running: metadata["outcome"] = "ended"
        case .finished(let result): metadata["result"] = "\(result.rendered)"
        case .failed(let failure): metadata["failure"] = "\(failure)"
        case .stopped(let result): metadata["result"] = "\(result?.rendered ?? "nil")"
        }
        logger.info("match ended", metadata: metadata)
    }

    /// Hands what the match's log recorded so far to where it goes (a
    /// cluster node's heartbeat stores it next), between two ticks.
    func flushLog(answeringOn loop: EventLoop) -> EventLoopFuture<Void> {
        thread.submit { [self] in
            guard !ended, !isAbandoned else { return }
            session.flushLog()
        } ?? loop.makeSucceededVoidFuture()
    }

    /// Stops the match where it is, for another node of the cluster to go on
    /// with (`serve --on-stop hand-over`): no tick, join or leave runs here
    /// again, and its log reaches the cluster's log book through its last
    /// tick. It stays published until `closeAfterHandOver()`.
    func freezeForHandOver(answeringOn loop: EventLoop) -> EventLoopFuture<Void> {
        thread.submit { [self] in
            guard !ended, !isAbandoned else { return }
            nextTick?.cancel()
            ended = true
            handedOver = true
            session.flushLog()
            publish()
        } ?? loop.makeSucceededVoidFuture()
    }

    /// After the node's last heartbeat stored the frozen match: its clients
    /// are closed with 1001 (they resume on the node that takes it over,
    /// through `POST /matchmake`) and this node forgets it.
    func closeAfterHandOver() {
        thread.execute { [self] in
            guard handedOver else { return }
            for link in links.withLockedValue({ Array($0.values) }) { link.close(.close(.goingAway, "this node stopped: resume through POST /matchmake on any node")) }
            links.withLockedValue { $0.removeAll() }
            directory.remove(self)
            thread.retire()
            logger.info("match handed over", metadata: ["tick": "\(match.tick)", "hash": "\(match.stateHash)"])
        }
    }

    /// Stops the match for a server shutdown: the tick in progress finishes
    /// (it runs on this loop), `game.result` is asked one last time, and
    /// every client is closed with 1001.
    func stop(answeringOn loop: EventLoop) -> EventLoopFuture<Void> {
        thread.submit { [self] in
            guard !ended, !isAbandoned else { return }
            apply(.stop)
            guard !isAbandoned else { return thread.retire() }
            end(reason: .shuttingDown)
        } ?? loop.makeSucceededVoidFuture()
    }
}

extension Logger {
    /// This logger with the match and its game on every line.
    func forMatch(_ id: String, game: String) -> Logger {
        var logger = self
        logger[metadataKey: "match"] = "\(id)"
        logger[metadataKey: "game"] = "\(game)"
        return logger
    }

    /// Logs a line about a match at the level an operator filters on:
    /// script failures as errors, the rules' once-per-field warnings as
    /// warnings, `print` as info; each with the tick it came at.
    var matchLine: @Sendable (MatchLogLine) -> Void {
        { [self] line in
            let metadata: Logger.Metadata = ["tick": "\(line.tick)"]
            switch line.level {
            case .error: error("\(line.text)", metadata: metadata)
            case .warning: warning("\(line.text)", metadata: metadata)
            case .info: info("\(line.text)", metadata: metadata)
            }
        }
    }
}

/// Frames of one tick, grouped by the event loop of their sockets.
private struct FrameBatches {
    private var batches: [ObjectIdentifier: (loop: EventLoop, frames: [(Channel, FramedBinaryMessage)])] = [:]

    var isEmpty: Bool { batches.isEmpty }

    mutating func add(_ message: FramedBinaryMessage, to channel: Channel) {
        let key = ObjectIdentifier(channel.eventLoop)
        if batches[key] == nil { batches[key] = (channel.eventLoop, []) }
        batches[key]!.frames.append((channel, message))
    }

    func send() {
        for (loop, frames) in batches.values {
            loop.execute {
                for (channel, message) in frames {
                    channel.writeAndFlush(WebSocketOutbound.framed(message), promise: nil)
                }
            }
        }
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}

private extension Int {
    var isPowerOfTwo: Bool { self > 0 && self & (self - 1) == 0 }
}
