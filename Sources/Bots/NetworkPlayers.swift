import Client
import Engine
import NIOCore
import WebSocket

/// The connections of one event loop in a `NetworkRun`, and what they
/// measured. Confined to its loop: every method runs there, so the bot
/// brains, the latency histogram and the counters need no locks.
final class LoopPlayers: TickwireLinkDelegate {
    struct Settings: Sendable {
        var mode: NetworkRun.Mode
        var seed: Int64
        var options: ClientOptions
        /// `NetworkRun.sendRate`.
        var sendRate: Int?
    }

    /// One connection's bookkeeping, at `links[tag]`.
    private struct Player {
        var link: TickwireLink
        var name: String
        var matchID: String?
        var playerID = 0
        var lastTick: Int?
        /// The ticks whose snapshots the server sends (from the welcome's
        /// tick rate and `Settings.sendRate`).
        var sending = SendSchedule.everyTick
        /// Inputs sent and not yet confirmed: (sequence, sent at, in ns), oldest first.
        var pending: [(sequence: UInt64, sentAt: UInt64)] = []
        var pendingHead = 0
        var joinedAt: UInt64?
        var leftAt: UInt64?
        /// An error was already counted for this connection.
        var failed = false
        /// Bytes received and sent, and inputs, before the measured window.
        var bytesBefore = 0
        var sentBefore = 0
        var inputsBefore: UInt64 = 0
        var bytesAfter: Int?
        var sentAfter: Int?
        var inputsAfter: UInt64?
    }

    /// The bots of one match on this loop.
    private final class MatchBots {
        let brain: BotBrain
        /// The game hides things, so each bot thinks on its own connection's
        /// view; otherwise every connection of a match sees the same state,
        /// observed once a tick.
        let ownViews: Bool
        var observedTick = -1
        init(brain: BotBrain, ownViews: Bool) {
            self.brain = brain
            self.ownViews = ownViews
        }
    }

    let loop: any EventLoop
    private let settings: Settings
    private var players: [Player] = []
    private var brains: [String: MatchBots] = [:]
    private var randomInputs: [PackedInput] = []
    private var rng: SplitMix64
    private var report = NetworkReport()
    private var stopping = false
    private var measuring = true
    /// Who waits to hear that a connection was seated (its match) or not (nil).
    private var seated: [Int: EventLoopPromise<String?>] = [:]

    /// Inputs awaiting confirmation per connection before the oldest are
    /// forgotten (about 8 s at 30 Hz: something is badly wrong by then).
    static let maxPending = 256

    init(loop: any EventLoop, settings: Settings) {
        self.loop = loop
        self.settings = settings
        rng = SplitMix64(seed: UInt64(bitPattern: settings.seed))
    }

    var joinedNow: Int { players.reduce(0) { $0 + ($1.joinedAt != nil && $1.leftAt == nil ? 1 : 0) } }
    var openLinks: Int { players.reduce(0) { $0 + ($1.link.closed == nil ? 1 : 0) } }

    private var decodesState: Bool {
        if case .bots = settings.mode { return true }
        return false
    }

    /// Opens a connection; the future tells its match once it is welcomed,
    /// or nil if it never is.
    @discardableResult
    func connect(url: TickwireURL) -> EventLoopFuture<String?> {
        let tag = players.count
        let link = TickwireLink(url: url, options: settings.options, on: loop, decodesState: decodesState,
                                tag: tag, delegate: self)
        players.append(Player(link: link, name: url.query("name") ?? ""))
        let promise = loop.makePromise(of: String?.self)
        seated[tag] = promise
        link.connect()
        return promise.futureResult
    }

    /// Forgets what was measured so far (not the errors): the window starts.
    func startMeasuring() {
        let now = Self.now()
        let errors = report.errors
        report = NetworkReport()
        report.errors = errors
        for i in players.indices {
            let p = players[i]
            players[i].bytesBefore = p.link.bytesReceived
            players[i].sentBefore = p.link.bytesSent
            players[i].inputsBefore = p.link.inputSequence
            players[i].pendingHead = p.pending.count   // latency of inputs sent from now on only
            if p.joinedAt != nil, p.leftAt == nil {
                players[i].joinedAt = now
                report.joined += 1
                if let matchID = p.matchID { report.matchIDs.insert(matchID) }
            }
        }
    }

    /// Ends the window: what arrives from now on is not counted.
    func stopMeasuring() {
        let now = Self.now()
        measuring = false
        for i in players.indices {
            players[i].bytesAfter = players[i].link.bytesReceived
            players[i].sentAfter = players[i].link.bytesSent
            players[i].inputsAfter = players[i].link.inputSequence
            if players[i].joinedAt != nil, players[i].leftAt == nil { players[i].leftAt = now }
        }
    }

    /// Closes every connection; closes from now on are expected.
    func stop() {
        stopping = true
        for p in players where p.link.isOpen { p.link.close(code: .normalClosure, reason: "run over") }
    }

    /// The measurements, once every connection closed (or was given up on).
    func finish() -> NetworkReport {
        let now = Self.now()
        for p in players {
            if let joinedAt = p.joinedAt { report.joinedSeconds += Double((p.leftAt ?? now) &- joinedAt) / 1e9 }
            report.bytesReceived += (p.bytesAfter ?? p.link.bytesReceived) - p.bytesBefore
            report.bytesSent += (p.sentAfter ?? p.link.bytesSent) - p.sentBefore
            report.inputsSent += Int((p.inputsAfter ?? p.link.inputSequence) - p.inputsBefore)
            report.unconfirmedInputs += p.pending.count - p.pendingHead
            if p.link.welcome == nil, !p.failed, p.link.closed == nil {
                report.record(error: "no welcome", "\(p.name): connected, but no welcome came before the run ended")
            }
        }
        for bots in brains.values {
            report.botErrors += bots.brain.errorCount
            if report.firstBotError == nil { report.firstBotError = bots.brain.firstError?.description }
        }
        return report
    }

    private static func now() -> UInt64 { NIODeadline.now().uptimeNanoseconds }

    // MARK: TickwireLinkDelegate

    func link(_ link: TickwireLink, didReceive welcome: Welcome) {
        let now = Self.now()
        var player = players[link.tag]
        player.matchID = welcome.matchID
        player.playerID = welcome.playerID
        player.sending = sendSchedule(welcome)
        player.joinedAt = now
        report.joined += 1
        report.matchIDs.insert(welcome.matchID)
        defer { seated.removeValue(forKey: link.tag)?.succeed(welcome.matchID) }
        switch settings.mode {
        case .bots(let game):
            let bots: MatchBots
            if let existing = brains[welcome.matchID] {
                bots = existing
            } else {
                do {
                    bots = MatchBots(brain: try BotBrain(game: game, seed: SplitMix64.derive(settings.seed, brains.count + 1)),
                                     ownViews: game.visibility.isDeclared)
                } catch {
                    report.record(error: "bot.lua failed to load", "\(error)")
                    link.close(code: .goingAway, reason: "bot failed")
                    players[link.tag] = player
                    return
                }
                brains[welcome.matchID] = bots
            }
            bots.brain.add(playerID: welcome.playerID, name: player.name)
        case .randomInputs:
            if randomInputs.isEmpty {
                randomInputs = (0..<64).map { _ in PackedInput(values: PackedInput.randomValues(for: welcome.schema, using: &rng), schema: welcome.schema) }
            }
        }
        players[link.tag] = player
    }

    /// The match's rules were reloaded: random inputs follow the new
    /// input schema (a bot's inputs that no longer fit are not sent).
    func link(_ link: TickwireLink, didReload welcome: Welcome) {
        players[link.tag].sending = sendSchedule(welcome)
        guard case .randomInputs = settings.mode else { return }
        randomInputs = (0..<64).map { _ in PackedInput(values: PackedInput.randomValues(for: welcome.schema, using: &rng), schema: welcome.schema) }
    }

    func link(_ link: TickwireLink, didReceiveSnapshot header: SnapshotHeader, message: ByteBuffer) {
        let now = Self.now()
        let tag = link.tag
        guard measuring else { return }
        report.snapshots += 1
        // Gaps and latency.
        if let last = players[tag].lastTick { report.ticksMissed += players[tag].sending.sends(between: last, and: header.tick) }
        players[tag].lastTick = header.tick
        while players[tag].pendingHead < players[tag].pending.count,
              players[tag].pending[players[tag].pendingHead].sequence <= header.lastProcessedInput {
            let sentAt = players[tag].pending[players[tag].pendingHead].sentAt
            report.recordLatency(micros: (now &- sentAt) / 1000)
            players[tag].pendingHead += 1
        }

        // This tick's input.
        let sequence: UInt64
        switch settings.mode {
        case .bots:
            guard let matchID = players[tag].matchID, let bots = brains[matchID], let state = link.mirror?.state else { return }
            if bots.ownViews || bots.observedTick < header.tick {
                bots.brain.observe(state)
                bots.observedTick = header.tick
            }
            let turn = bots.brain.think(playerID: players[tag].playerID)
            for event in turn.clientEvents { link.send(clientEvent: event) }
            guard let values = turn.input else { return }
            sequence = link.send(input: values)
        case .randomInputs:
            guard !randomInputs.isEmpty else { return }
            sequence = link.send(randomInputs[Int(rng.next() % UInt64(randomInputs.count))])
        }
        guard sequence > 0 else { return }
        remember(sequence, sentAt: now, tag: tag)
    }

    private func sendSchedule(_ welcome: Welcome) -> SendSchedule {
        SendSchedule(tickRate: welcome.tickRate, sendRate: settings.sendRate ?? welcome.tickRate)
    }

    private func remember(_ sequence: UInt64, sentAt: UInt64, tag: Int) {
        players[tag].pending.append((sequence, sentAt))
        if players[tag].pending.count - players[tag].pendingHead > Self.maxPending { players[tag].pendingHead += 1 }
        if players[tag].pendingHead >= 64 {
            players[tag].pending.removeFirst(players[tag].pendingHead)
            players[tag].pendingHead = 0
        }
    }

    func link(_ link: TickwireLink, didReceive error: ErrorMessage) {
        players[link.tag].failed = true
        report.record(error: "error: \(error.code)", "\(players[link.tag].name): \(error.code): \(error.reason)")
    }

    func link(_ link: TickwireLink, didFail error: TickwireClientError) {
        let kind: String
        if let status = error.httpStatus {
            kind = "handshake: HTTP \(status)"
        } else if error.isHandshakeFailure {
            kind = "handshake failed"
        } else if error.protocolError != nil {
            kind = "unreadable message"
        } else {
            kind = "connection failed"
        }
        players[link.tag].failed = true
        report.record(error: kind, "\(players[link.tag].name): \(error)")
    }

    func link(_ link: TickwireLink, didClose closed: WebSocketClosed) {
        let tag = link.tag
        if players[tag].leftAt == nil { players[tag].leftAt = Self.now() }
        seated.removeValue(forKey: tag)?.succeed(nil)
        if case .bots = settings.mode, let matchID = players[tag].matchID, players[tag].playerID > 0 {
            brains[matchID]?.brain.remove(playerID: players[tag].playerID)
        }
        // Refusals were counted by didFail or the error message; a close
        // before we stopped, after a welcome, is the server dropping a player.
        guard !stopping, !players[tag].failed else { return }
        // A normal close after the welcome: the match ended (game.result).
        if closed.code == .normalClosure, closed.initiatedByPeer, link.welcome != nil {
            report.matchesEnded += 1
            return
        }
        let code = closed.code.map { String($0.rawValue) } ?? "1006"
        let when = link.welcome == nil ? " before the welcome" : ""
        report.record(error: "closed \(code)\(when)", "\(players[tag].name): closed\(when): \(closed.summary)")
    }
}
