import Engine
import Logging
import NIOConcurrencyHelpers
import NIOCore
import Synchronization
import WebSocket

/// One match on the network: its `Match`, confined to its own thread
/// (`MatchThread`), the seats and spectators it sends frames to, and its tick.
///
/// Invariants: every stored property below `published` is touched only on
/// `eventLoop` (the match's Lua state never crosses threads, and never runs
/// on a thread that serves sockets); connections reach the match through
/// `inbox` (inputs) or by hopping to `eventLoop` (joins, leaves). The tick
/// never waits for a client: a socket that is not writable is skipped and
/// catches up with one delta. While the match runs Lua, `busySince` says
/// since when, so the supervisor can abandon a call that cannot be stopped;
/// once `abandoned` is set, the match's thread touches nothing shared again.
final class MatchHost: @unchecked Sendable {
    let id: String
    let game: GameDefinition
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
    /// The connections the match may write to, readable from any thread, so
    /// an abandoned match's clients can be told without its thread.
    let links = NIOLockedValueBox<[Int: ClientLink]>([:])
    let created = NIODeadline.now()
    /// The latest summary, readable from any thread (`GET /matches`, matchmaking).
    private let published: NIOLockedValueBox<MatchSummary>

    let match: Match
    let settings: Settings
    let directory: MatchDirectory
    let metrics: ServerMetrics
    var logger: Logger
    private var schedule: TickSchedule
    private var nextTick: Scheduled<Void>?
    var seats: [Int: Seat] = [:]
    var spectators: [Int: Recipient] = [:]
    private(set) var ended = false
    /// When each recent tick's frames were handed to the sockets, by tick
    /// modulo the count, for the acks that come back.
    private var sentAt: [(tick: Int, at: NIODeadline)?] = Array(repeating: nil, count: 64)
    /// When the match last had nobody in it (nil: somebody is in it).
    private var emptySince: NIODeadline?
    private var lastDropped = 0
    private var lastFailures = 0

    struct Settings: Sendable {
        var resumeGrace: Duration
        var maxSpectators: Int
        /// A match nobody is in ends after this.
        var emptyTimeout: Duration = .seconds(60)
        /// Work (a tick, a join) that runs longer than this is taken to be a
        /// call the Lua limits could not stop: the match is abandoned. Ten
        /// times the Lua time limit by default, so only a call that escaped
        /// it reaches this.
        var hardLimit: Duration = .milliseconds(2500)
    }

    /// Someone the match sends frames to.
    struct Recipient {
        var link: ClientLink
        /// Tick of the last frame handed to the socket (nil: none yet).
        var baseline: Int?
        /// Tick at which the link was attached, for the too-slow check
        /// before the first frame.
        var since: Int
    }

    /// A player's seat; it outlives a dropped connection for the grace period.
    struct Seat {
        let playerID: Int
        let name: String
        let resumeToken: String
        /// The JWT subject, when auth is on: the same account rejoining takes
        /// this seat back.
        let account: String?
        var recipient: Recipient?
        /// Set while the player is away; the seat is freed after it.
        var awayUntil: NIODeadline?
    }

    /// Creates the match on `thread` (so `game.init` runs where the match will live).
    static func start(id: String, game: GameDefinition, options: MatchOptions, settings: Settings,
                      directory: MatchDirectory, metrics: ServerMetrics, logger: Logger,
                      on thread: MatchThread) -> EventLoopFuture<MatchHost> {
        thread.eventLoop.submit {
            var logger = logger
            logger[metadataKey: "match"] = "\(id)"
            logger[metadataKey: "game"] = "\(game.name)"
            var options = options
            let matchLogger = logger
            options.log = { line in matchLogger.info("\(line)") }
            let match = try Match(game: game, options: options)
            let host = MatchHost(id: id, game: game, match: match, settings: settings, directory: directory,
                                 metrics: metrics, logger: logger, thread: thread)
            host.scheduleNextTick()
            logger.info("match started", metadata: ["seed": "\(options.seed)"])
            return host
        }
    }

    private init(id: String, game: GameDefinition, match: Match, settings: Settings, directory: MatchDirectory,
                 metrics: ServerMetrics, logger: Logger, thread: MatchThread) {
        self.id = id
        self.game = game
        self.match = match
        self.settings = settings
        self.directory = directory
        self.metrics = metrics
        self.logger = logger
        self.thread = thread
        eventLoop = thread.eventLoop
        schedule = TickSchedule(tickRate: game.tickRate, start: .zero)
        published = NIOLockedValueBox(MatchSummary(id: id, game: game.name, players: 0, spectators: 0,
                                                   capacity: game.maxPlayers, tick: match.tick, ageSeconds: 0,
                                                   running: true))
    }

    var summary: MatchSummary { published.withLockedValue { $0 } }

    // MARK: Work the supervisor watches

    /// What a match is doing while it runs Lua.
    enum Work: Int, Sendable, CustomStringConvertible {
        case idle, tick, join, leave, stop
        var description: String {
            switch self {
            case .idle: "nothing"
            case .tick: "a tick (game.tick, game.result or an event)"
            case .join: "a join (game.join)"
            case .leave: "a leave (game.leave)"
            case .stop: "its last game.result"
            }
        }
    }

    /// Runs `body` (on the match's loop) marked as busy with `work` since
    /// `start` (the tick passes the time it already read).
    func working<T>(_ work: Work, since start: NIODeadline = .now(), _ body: () throws -> T) rethrows -> T {
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

    // MARK: Ticks

    private func elapsed(_ at: NIODeadline) -> Duration { .nanoseconds((at - created).nanoseconds) }

    private func scheduleNextTick() {
        let deadline = created + TimeAmount(schedule.nextDeadline)
        nextTick = eventLoop.scheduleTask(deadline: deadline) { [self] in runTick() }
    }

    private func runTick() {
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
            freeExpiredSeats(now: started)
            match.step()
        }
        // Given up while the tick ran: the supervisor has told the clients.
        guard !isAbandoned else { return thread.retire() }
        countFailures()
        fanOut()
        metrics.tickDuration.recordNanoseconds((NIODeadline.now() - started).nanoseconds)
        publish()
        if seats.isEmpty && spectators.isEmpty {
            if emptySince == nil { emptySince = started }
        } else {
            emptySince = nil
        }
        if let emptySince, started - emptySince >= TimeAmount(settings.emptyTimeout) {
            working(.stop) { match.stop() }
            end(reason: .close(.normalClosure, "the match ended: nobody was in it"))
        } else if match.status.isRunning {
            scheduleNextTick()
        } else {
            end(reason: .close(.normalClosure, "the match is over"))
        }
    }

    private func applyInbox() {
        for item in inbox.drain() {
            switch item {
            case .input(let player, let link, let message):
                guard seats[player]?.recipient?.link.id == link else { continue }
                match.submit(input: message.values, from: player, sequence: UInt32(truncatingIfNeeded: message.sequence))
            case .clientEvent(let player, let link, let message):
                guard seats[player]?.recipient?.link.id == link else { continue }
                match.submit(clientEvent: message.event, values: message.values, strings: message.strings, from: player)
            case .ack(_, _, let tick, let at):
                // Frame handed out → applied by the client → ack back: what
                // a player's screen lags the server, network included.
                if let sent = sentAt[tick % sentAt.count], sent.tick == tick, at > sent.at {
                    metrics.ackDelay.recordNanoseconds((at - sent.at).nanoseconds)
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
        guard let current = match.snapshots.latest else { return }
        var batches = FrameBatches()
        var tooSlow: [Int] = []
        for id in seats.keys {
            guard var recipient = seats[id]!.recipient else { continue }
            if deliver(to: &recipient, audience: .player(id), tick: current.tick, into: &batches) {
                seats[id]!.recipient = recipient
            } else {
                tooSlow.append(id)
            }
        }
        var slowSpectators: [Int] = []
        for key in spectators.keys {
            var recipient = spectators[key]!
            if deliver(to: &recipient, audience: .spectator, tick: current.tick, into: &batches) {
                spectators[key] = recipient
            } else {
                slowSpectators.append(key)
            }
        }
        batches.send()
        sentAt[current.tick % sentAt.count] = (current.tick, .now())
        let slow = Disconnect.error(.tooSlow, "the connection could not keep up with the match")
        for id in tooSlow {
            metrics.disconnected("too-slow")
            if let link = seats[id]?.recipient?.link {
                link.close(slow)
                forget(link)
            }
            working(.leave) { detach(playerID: id) }
        }
        for key in slowSpectators {
            metrics.disconnected("too-slow")
            if let link = spectators.removeValue(forKey: key)?.link {
                link.close(slow)
                forget(link)
            }
        }
    }

    /// Queues the frame for a writable client; false when the client has
    /// been unwritable for so long that its baseline would leave the ring.
    private func deliver(to recipient: inout Recipient, audience: SnapshotMessage.Audience, tick: Int,
                         into batches: inout FrameBatches) -> Bool {
        guard recipient.link.isWritable else {
            return tick - (recipient.baseline ?? recipient.since) < match.options.snapshotHistory - 1
        }
        let bytes = match.frame(baseline: recipient.baseline, audience: audience)
        batches.add(bytes, to: recipient.link.channel)
        metrics.bytesOut.increment(by: Int64(bytes.count))
        metrics.frameBytes.record(bytes.count)
        recipient.baseline = tick
        return true
    }

    func publish() {
        let (players, watching) = (seats.count, spectators.count)
        let before = published.withLockedValue { ($0.players, $0.spectators) }
        if (players, watching) != before { metrics.seatsChanged(players: players - before.0, spectators: watching - before.1) }
        let summary = MatchSummary(id: id, game: game.name, players: seats.count, spectators: spectators.count,
                                   capacity: game.maxPlayers, tick: match.tick,
                                   ageSeconds: Double((NIODeadline.now() - created).nanoseconds) / 1e9,
                                   running: match.status.isRunning && !ended)
        published.withLockedValue { $0 = summary }
    }

    // MARK: Ending

    /// Ends the match: every client is closed with `reason`, seats and
    /// tokens are released, and the directory forgets the match.
    private func end(reason: Disconnect) {
        guard !ended else { return }
        ended = true
        nextTick?.cancel()
        for seat in seats.values {
            seat.recipient?.link.close(reason)
            directory.retire(token: seat.resumeToken)
        }
        for spectator in spectators.values { spectator.link.close(reason) }
        seats.removeAll()
        spectators.removeAll()
        links.withLockedValue { $0.removeAll() }
        publish()
        directory.remove(self)
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

    /// Stops the match for a server shutdown: the tick in progress finishes
    /// (it runs on this loop), `game.result` is asked one last time, and
    /// every client is closed with 1001.
    func stop(answeringOn loop: EventLoop) -> EventLoopFuture<Void> {
        thread.submit { [self] in
            guard !ended, !isAbandoned else { return }
            working(.stop) { match.stop() }
            guard !isAbandoned else { return thread.retire() }
            end(reason: .shuttingDown)
        } ?? loop.makeSucceededVoidFuture()
    }
}

/// Frames of one tick, grouped by the event loop of their sockets.
private struct FrameBatches {
    private var batches: [ObjectIdentifier: (loop: EventLoop, frames: [(Channel, [UInt8])])] = [:]

    mutating func add(_ bytes: [UInt8], to channel: Channel) {
        let key = ObjectIdentifier(channel.eventLoop)
        if batches[key] == nil { batches[key] = (channel.eventLoop, []) }
        batches[key]!.frames.append((channel, bytes))
    }

    func send() {
        for (loop, frames) in batches.values {
            loop.execute {
                for (channel, bytes) in frames {
                    channel.write(WebSocketOutbound.message(.binary(channel.allocator.buffer(bytes: bytes))), promise: nil)
                    channel.flush()
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
