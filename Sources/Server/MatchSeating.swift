import Engine

/// Who is in a match, on which connection, and for how long — as a value.
///
/// Admissions, dropped connections, ticks and acks go in, with the time;
/// `Action`s come out, and `MatchHost` performs them (apply a command to the
/// session, send a welcome, close a link, register or retire a resume token,
/// end the match). No socket and no clock: links are known by id, and `now`
/// is the host's injected clock read as time since the match was created,
/// so grace periods and the empty-match timeout are tested on virtual time.
///
/// Invariants:
/// - A seat here is a seat in the match: a seat is made only from a
///   `.joined` answer to the `.join` command, and every seat that goes
///   away while the match runs emits `.apply(.leave)` for its player.
/// - A seat has a connection (`recipient`) or a deadline (`awayUntil`),
///   never both; with no grace (`resumeGrace == 0`) it has no deadline: a
///   drop frees it at once, and no resume token is shown or registered.
/// - A link holds at most one place: one seat or one spectator's slot. A
///   resume or an account rejoining moves the seat and closes the old link.
/// - Every token made is retired (`.retire`) when its seat goes.
/// - `emptySince` is set while nobody is in the match (no seat, away or
///   not, and no spectator); the match ends `emptyTimeout` after it, or
///   never when that is nil.
/// - Once `end` has run, the seating is over: every call returns nothing
///   and every admission is refused.
struct MatchSeating {
    struct Settings: Sendable, Equatable {
        var maxPlayers: Int
        var maxSpectators: Int
        /// How long a dropped player's seat waits for a resume.
        var resumeGrace: Duration
        /// How long a match with nobody in it lives on; nil: for ever (a
        /// chat room, a replay).
        var emptyTimeout: Duration?
        /// Whether a spectator may watch one player's view (not when the
        /// game shows spectators only the public view).
        var spectatorsMayFollow = true
        /// The ticks whose frames go out (`game.send_rate`); a replay
        /// played back sends every tick it shows.
        var sendSchedule = SendSchedule.everyTick
    }

    /// What a connection asks of a match.
    enum Admission: Sendable, Equatable {
        case player(name: String, account: String?)
        case resume(token: String)
        /// `follow`: the seat whose view the spectator watches.
        case spectator(follow: Int?)
    }

    /// The answer to an admission.
    enum Admitted: Sendable, Equatable {
        case player(id: Int, resumeToken: String)
        case spectator
        case refused(Disconnect)
    }

    /// What `admit` decided: an answer now, or a question for the match.
    enum Decision: Equatable {
        /// Perform the actions, then give the answer.
        case decided(Admitted, [Action])
        /// A new seat: apply `request.command` to the session, then hand its
        /// outcome to `joined(_:outcome:token:tick:)`.
        case join(JoinRequest)
    }

    /// A join waiting for the match's answer (`game.join`).
    struct JoinRequest: Equatable {
        let name: String
        let account: String?
        let link: Int
        var command: MatchCommand { .join(name: name, account: account) }
    }

    /// What the host must do, in order.
    enum Action: Equatable {
        /// Apply this command to the match's session (`game.leave` may run).
        case apply(MatchCommand)
        /// Send the match's welcome to `link`: its player id (0 for a
        /// spectator) and the resume token to show ("" for none).
        case welcome(link: Int, player: Int, resumeToken: String)
        /// Close `link` for `reason` and forget it.
        case close(link: Int, Disconnect)
        /// A resume token now leads to this match (directory lookup).
        case register(token: String)
        /// A resume token leads nowhere any more.
        case retire(token: String)
        /// A player's connection dropped: the seat waits until `until` (logged).
        case away(player: Int, until: Duration)
        /// Stop the match and end it: every client is closed with `reason`.
        case endMatch(Disconnect)
    }

    /// Someone the match sends frames to.
    struct Recipient: Equatable {
        let link: Int
        /// Tick of the last frame handed to the socket (nil: none yet, so
        /// the next frame is a full snapshot).
        var baseline: Int?
        /// Tick of the frame handed before the baseline (nil: none), which
        /// the client still holds: the next frame may predict from it.
        var prior: Int? = nil
        /// Tick at which the link was attached, for the too-slow check
        /// before the first frame.
        let since: Int
        /// While there is no baseline: the tick after which the next
        /// frame's events start. The tick it came at, after a join or a
        /// resume (what `game.join` did comes with the next tick, and with a
        /// send rate more ticks may pass before the first frame); the last
        /// tick it was sent, after a reload; the tick sought, after a seek.
        var eventsAfter: Int
        /// A spectator following a player sees that player's view.
        var follow: Int? = nil

        /// The next frame is a full snapshot (the client's state no longer
        /// serves as a baseline) with the events of the ticks after `tick`.
        mutating func startOver(eventsAfter tick: Int) {
            baseline = nil
            prior = nil
            eventsAfter = tick
        }
    }

    /// A player's seat; it outlives a dropped connection for the grace period.
    struct Seat: Equatable {
        let player: Int
        let name: String
        let resumeToken: String
        /// The JWT subject, when auth is on: the same account rejoining takes
        /// this seat back.
        let account: String?
        var recipient: Recipient?
        /// Set while the player is away; the seat is freed at this time.
        var awayUntil: Duration?
    }

    private(set) var settings: Settings
    private(set) var seats: [Int: Seat] = [:]
    /// Spectators by link id.
    private(set) var spectators: [Int: Recipient] = [:]
    /// Since when nobody is in the match (nil: somebody is).
    private(set) var emptySince: Duration?
    private(set) var isOver = false
    /// When each recent tick's frames were handed to the sockets, by tick
    /// modulo the count, for the acks that come back.
    private var sentAt: [(tick: Int, at: Duration)?] = Array(repeating: nil, count: 64)

    init(settings: Settings) {
        self.settings = settings
    }

    var playerCount: Int { seats.count }
    var spectatorCount: Int { spectators.count }
    private var hasGrace: Bool { settings.resumeGrace > .zero }

    /// Whether `link` is the connection `player`'s seat is on now: inputs
    /// from a link the seat has moved away from are dropped.
    func isAttached(player: Int, link: Int) -> Bool {
        seats[player]?.recipient?.link == link
    }

    // MARK: Admissions

    /// First step of seating `link` at `tick`. A player new to the match
    /// needs the match's answer: `.join`, then `joined(…)`.
    mutating func admit(_ admission: Admission, link: Int, tick: Int) -> Decision {
        guard !isOver else { return .decided(.refused(.error(.matchOver, "the match is over")), []) }
        switch admission {
        case .player(let name, let account):
            if let account, let seat = seats.values.first(where: { $0.account == account }) {
                return reattach(seat.player, link: link, tick: tick)
            }
            guard seats.count < settings.maxPlayers else {
                return .decided(.refused(.error(.matchFull, "the match is full (\(settings.maxPlayers) players)")), [])
            }
            return .join(JoinRequest(name: name, account: account, link: link))
        case .resume(let token):
            guard let seat = seats.values.first(where: { $0.resumeToken == token }) else {
                return .decided(.refused(.error(.notFound, "no seat holds this resume token (its grace period may have ended)")), [])
            }
            return reattach(seat.player, link: link, tick: tick)
        case .spectator(let follow):
            guard spectators.count < settings.maxSpectators else {
                return .decided(.refused(.error(.matchFull, "the match has its most spectators (\(settings.maxSpectators))")), [])
            }
            if follow != nil, !settings.spectatorsMayFollow {
                return .decided(.refused(.error(.refused, "this game shows spectators only what every player may see "
                                                + "(game.spectators = \"public\"), so they cannot follow a player")), [])
            }
            spectators[link] = Recipient(link: link, baseline: nil, since: tick, eventsAfter: tick, follow: follow)
            emptySince = nil
            return .decided(.spectator, [.welcome(link: link, player: 0, resumeToken: "")])
        }
    }

    /// Second step of a join: the match answered `outcome`. `token` is the
    /// new seat's resume token (made by the host: randomness stays outside).
    mutating func joined(_ request: JoinRequest, outcome: MatchSession.Outcome, token: String,
                         tick: Int) -> (Admitted, [Action]) {
        switch outcome {
        case .joined(let player):
            seats[player] = Seat(player: player, name: request.name, resumeToken: token, account: request.account,
                                 recipient: nil, awayUntil: nil)
            emptySince = nil
            var actions: [Action] = hasGrace ? [.register(token: token)] : []
            actions += attach(player, link: request.link, tick: tick)
            return (.player(id: player, resumeToken: token), actions)
        case .refused(let reason):
            return (.refused(.error(.refused, reason)), [])
        case .applied, .ignored:
            return (.refused(.error(.matchOver, "the match is over")), [])
        }
    }

    /// Moves a seat to `link`; an old link still attached is closed. The
    /// match drops the player's waiting inputs (`resume`): the new
    /// connection numbers its inputs from 1.
    private mutating func reattach(_ player: Int, link: Int, tick: Int) -> Decision {
        var actions: [Action] = []
        if let old = seats[player]?.recipient, old.link != link {
            actions.append(.close(link: old.link, .error(.kicked, "this seat was taken over by a new connection")))
        }
        seats[player]!.awayUntil = nil
        actions.append(.apply(.resume(player: player)))
        actions += attach(player, link: link, tick: tick)
        return .decided(.player(id: player, resumeToken: seats[player]!.resumeToken), actions)
    }

    /// The welcome goes out now; the next frame (at the next send tick) is
    /// a full snapshot (no baseline yet), which already holds what
    /// `game.join` did, with the events of every tick since.
    private mutating func attach(_ player: Int, link: Int, tick: Int) -> [Action] {
        guard var seat = seats[player] else { return [] }
        seat.recipient = Recipient(link: link, baseline: nil, since: tick, eventsAfter: tick)
        seats[player] = seat
        return [.welcome(link: link, player: player, resumeToken: hasGrace ? seat.resumeToken : "")]
    }

    /// A seat as a match taken over from a dead node gets it back.
    struct RestoredSeat: Equatable {
        let player: Int
        let name: String
        let resumeToken: String
        let account: String?
    }

    /// Seats the players of a match taken over from a dead node (its
    /// replayed log seated them): each is away, for the grace period from
    /// `now`, and resumes with the token they had. With no grace, nobody
    /// can come back, so every seat is freed at once.
    mutating func restore(_ restored: [RestoredSeat], now: Duration) -> [Action] {
        var actions: [Action] = []
        let until = now + settings.resumeGrace
        for seat in restored.sorted(by: { $0.player < $1.player }) {
            seats[seat.player] = Seat(player: seat.player, name: seat.name, resumeToken: seat.resumeToken, account: seat.account,
                                      recipient: nil, awayUntil: hasGrace ? until : nil)
            if hasGrace {
                actions += [.register(token: seat.resumeToken), .away(player: seat.player, until: until)]
            } else {
                actions += free(seat.player)
            }
        }
        return actions
    }

    // MARK: Drops and time

    /// The connection `link` is gone (closed by either side). A player's
    /// seat waits for the grace period; a spectator is simply forgotten.
    mutating func disconnected(link: Int, now: Duration) -> [Action] {
        guard !isOver else { return [] }
        if spectators.removeValue(forKey: link) != nil { return [] }
        guard let seat = seats.values.first(where: { $0.recipient?.link == link }) else { return [] }
        return detach(seat.player, now: now)
    }

    /// Takes a seat's connection away: the seat waits for the grace period,
    /// or, with none, is freed now.
    private mutating func detach(_ player: Int, now: Duration) -> [Action] {
        seats[player]!.recipient = nil
        guard hasGrace else { return free(player) }
        let until = now + settings.resumeGrace
        seats[player]!.awayUntil = until
        return [.away(player: player, until: until)]
    }

    private mutating func free(_ player: Int) -> [Action] {
        guard let seat = seats.removeValue(forKey: player) else { return [] }
        return [.retire(token: seat.resumeToken), .apply(.leave(player: player))]
    }

    /// A tick is due at `now`: seats whose grace has ended are freed (in
    /// player order, so `game.leave` runs in a known order), and a match
    /// nobody has been in for `emptyTimeout` ends.
    mutating func tickDue(now: Duration) -> [Action] {
        guard !isOver else { return [] }
        var actions: [Action] = []
        let expired = seats.values.filter { seat in seat.awayUntil.map { $0 <= now } ?? false }.map(\.player)
        for player in expired.sorted() { actions += free(player) }
        if seats.isEmpty && spectators.isEmpty {
            let since = emptySince ?? now
            emptySince = since
            if let timeout = settings.emptyTimeout, now - since >= timeout {
                actions.append(.endMatch(.close(.normalClosure, "the match ended: nobody was in it")))
            }
        } else {
            emptySince = nil
        }
        return actions
    }

    /// Ends the seating: every link is closed with `reason` and every token
    /// retired. The match is over, so no `game.leave` runs.
    mutating func end(_ reason: Disconnect) -> [Action] {
        guard !isOver else { return [] }
        isOver = true
        var actions: [Action] = []
        for seat in seats.values.sorted(by: { $0.player < $1.player }) {
            if let link = seat.recipient?.link { actions.append(.close(link: link, reason)) }
            actions.append(.retire(token: seat.resumeToken))
        }
        for link in spectators.keys.sorted() { actions.append(.close(link: link, reason)) }
        seats.removeAll()
        spectators.removeAll()
        return actions
    }

    // MARK: Reloads

    /// The match was rebuilt on reloaded rules (`MatchSession.rebuilt`):
    /// no frame a client holds is a baseline of the new match, so every
    /// link's next frame is a full snapshot; with `schemaChanged`, a new
    /// welcome goes first (same player id and token, the new schemas).
    /// A seat the new rules did not give (`game.join` refused it on the
    /// replayed history) is closed and its token retired; no `game.leave`
    /// runs, as the player never sat in the new match. Each link's next
    /// frame brings the events of the ticks after the last one it was
    /// sent that the new match holds. `sendSchedule`: the new rules' (nil:
    /// unchanged).
    mutating func rulesReloaded(maxPlayers: Int, schemaChanged: Bool, spectatorsMayFollow: Bool = true,
                                sendSchedule: SendSchedule? = nil, isSeated: (Int) -> Bool) -> [Action] {
        guard !isOver else { return [] }
        settings.maxPlayers = maxPlayers
        settings.spectatorsMayFollow = spectatorsMayFollow
        if let sendSchedule { settings.sendSchedule = sendSchedule }
        var actions: [Action] = []
        for (player, seat) in seats.sorted(by: { $0.key < $1.key }) {
            guard isSeated(player) else {
                seats[player] = nil
                if let link = seat.recipient?.link {
                    actions.append(.close(link: link, .error(.refused, "the reloaded rules did not seat this player")))
                }
                actions.append(.retire(token: seat.resumeToken))
                continue
            }
            guard var recipient = seat.recipient else { continue }
            recipient.startOver(eventsAfter: recipient.baseline ?? recipient.eventsAfter)
            seats[player]?.recipient = recipient
            if schemaChanged {
                actions.append(.welcome(link: recipient.link, player: player, resumeToken: hasGrace ? seat.resumeToken : ""))
            }
        }
        for (link, var spectator) in spectators.sorted(by: { $0.key < $1.key }) {
            spectator.startOver(eventsAfter: spectator.baseline ?? spectator.eventsAfter)
            spectators[link] = spectator
            if schemaChanged { actions.append(.welcome(link: link, player: 0, resumeToken: "")) }
        }
        return actions
    }

    /// A replay moved to `tick` (a seek): no frame a link holds belongs to
    /// the timeline now, so every link's next frame is a full snapshot,
    /// with the events of the ticks after `tick` only.
    mutating func timelineMoved(to tick: Int) {
        for player in seats.keys { seats[player]?.recipient?.startOver(eventsAfter: tick) }
        for link in spectators.keys { spectators[link]?.startOver(eventsAfter: tick) }
    }

    // MARK: Frames and acks

    /// A frame to hand to `link`: the delta from `baseline` (nil: a full
    /// snapshot) for `audience`.
    struct Delivery: Equatable {
        let link: Int
        let audience: SnapshotMessage.Audience
        let baseline: Int?
        var prior: Int? = nil
        /// With no baseline, the tick after which the frame's events start;
        /// with one, nil (the events after the baseline).
        var eventsAfter: Int? = nil
        /// Whose view, when not the audience's own (a spectator following a player).
        var viewer: Viewer? = nil
    }

    /// What a tick's fan-out does.
    struct FanOut: Equatable {
        var deliveries: [Delivery] = []
        /// Links closed as too slow (their close is among `actions`).
        var tooSlow: [Int] = []
        var actions: [Action] = []
    }

    /// Frames of `tick` for every writable link (its baseline moves to
    /// `tick`); an unwritable link is skipped and catches up later with one
    /// delta, unless its baseline would leave the `history` ring of
    /// snapshots: then it is closed as too slow (a player's seat then waits
    /// for the grace period, from `now`).
    ///
    /// Only on the game's send ticks (`Settings.sendSchedule`): between
    /// them nothing is sent, and every link catches up at the next as a
    /// slow one does, with the events of the ticks between.
    mutating func fanOut(tick: Int, history: Int, now: Duration, isWritable: (Int) -> Bool) -> FanOut {
        var plan = FanOut()
        guard !isOver, settings.sendSchedule.sends(tick: tick) else { return plan }
        func deliver(_ recipient: inout Recipient, _ audience: SnapshotMessage.Audience) -> Bool {
            // It holds this tick already (a paused replay): nothing to send,
            // and its events must not arrive twice.
            if recipient.baseline == tick { return true }
            guard isWritable(recipient.link) else { return tick - (recipient.baseline ?? recipient.since) < history - 1 }
            plan.deliveries.append(Delivery(link: recipient.link, audience: audience, baseline: recipient.baseline, prior: recipient.prior,
                                            eventsAfter: recipient.baseline == nil ? recipient.eventsAfter : nil,
                                            viewer: settings.spectatorsMayFollow ? recipient.follow.map { .player($0) } : nil))
            recipient.prior = recipient.baseline
            recipient.baseline = tick
            return true
        }
        var slowPlayers: [Int] = []
        for player in seats.keys {
            guard var recipient = seats[player]!.recipient else { continue }
            if deliver(&recipient, .player(player)) { seats[player]!.recipient = recipient } else { slowPlayers.append(player) }
        }
        var slowSpectators: [Int] = []
        for link in spectators.keys {
            if !deliver(&spectators[link]!, .spectator) { slowSpectators.append(link) }
        }
        let slow = Disconnect.error(.tooSlow, "the connection could not keep up with the match")
        for player in slowPlayers.sorted() {
            let link = seats[player]!.recipient!.link
            plan.tooSlow.append(link)
            plan.actions.append(.close(link: link, slow))
            plan.actions += detach(player, now: now)
        }
        for link in slowSpectators.sorted() {
            spectators.removeValue(forKey: link)
            plan.tooSlow.append(link)
            plan.actions.append(.close(link: link, slow))
        }
        return plan
    }

    /// The frames of `tick` were handed to the sockets at `at` (call it only
    /// when at least one was: acks of other ticks are not measured).
    mutating func framesSent(tick: Int, at: Duration) {
        sentAt[tick % sentAt.count] = (tick, at)
    }

    /// A client applied `tick`'s frame and said so at `at`: the delay since
    /// its frame was sent (what a player's screen lags the server, network
    /// included), or nil if that tick was never sent or has left the ring.
    func ackDelay(tick: Int, at: Duration) -> Duration? {
        guard tick >= 0, let sent = sentAt[tick % sentAt.count], sent.tick == tick, at > sent.at else { return nil }
        return at - sent.at
    }
}
