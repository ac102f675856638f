import Engine
import NIOCore

/// Seating on the network: the host asks `seating` what to do and performs
/// the `MatchSeating.Action`s it returns, as `WebSocketHandler` performs
/// `WebSocketConnection`'s.
extension MatchHost {
    /// Seats `link` (on the match's loop). On success the welcome is written
    /// to the link at once; its first frame, at the next tick, is a full
    /// snapshot.
    func admit(_ admission: MatchSeating.Admission, link: ClientLink) -> MatchSeating.Admitted {
        eventLoop.preconditionInEventLoop()
        guard !isAbandoned else { return .refused(.error(.matchOver, "the match was abandoned")) }
        defer { publish() }
        if playback != nil, case .spectator = admission {} else if playback != nil {
            return .refused(.error(.refused, "this match is a replay: watch it with /spectate?match=\(id)"))
        }
        guard playback != nil || session.isRunning, !ended else { return .refused(.error(.matchOver, "the match is over")) }
        // Known before the welcome goes out, so the supervisor can close it too.
        remember(link)
        let admitted: MatchSeating.Admitted
        switch seating.admit(admission, link: link.id, tick: match.tick) {
        case .decided(let answer, let actions):
            perform(actions)
            admitted = answer
        case .join(let request):
            let outcome = apply(request.command)
            // Given up while game.join ran: the supervisor has told the clients.
            guard !isAbandoned else { return .refused(.error(.matchOver, "the match was abandoned")) }
            let (answer, actions) = seating.joined(request, outcome: outcome, token: ResumeToken.make(), tick: match.tick)
            if case .player(let player, _) = answer {
                let name = match.players.first { $0.id == player }?.name ?? request.name
                logger.info("player joined", metadata: ["player": "\(player)", "name": "\(name)"])
            }
            perform(actions)
            admitted = answer
        }
        if case .refused = admitted { forget(link.id) }
        return admitted
    }

    /// The connection `linkID` is gone (closed by either side). A player's
    /// seat waits for the grace period; a spectator is simply forgotten.
    func disconnected(linkID: Int) {
        eventLoop.preconditionInEventLoop()
        guard !isAbandoned, !ended else { return }
        forget(linkID)
        defer { publish() }
        perform(seating.disconnected(link: linkID, now: seatingNow()))
    }

    /// Carries out what the seating decided, in order.
    func perform(_ actions: [MatchSeating.Action]) {
        for action in actions {
            switch action {
            case .apply(let command):
                apply(command)
                switch command {
                case .leave(let player): logger.info("player left", metadata: ["player": "\(player)"])
                case .resume(let player): logger.info("player resumed", metadata: ["player": "\(player)"])
                default: break
                }
            case .welcome(let link, let player, let token):
                links.withLockedValue { $0[link] }?.send(match.welcome(playerID: player, matchID: id, resumeToken: token))
            case .close(let link, let reason):
                forget(link)?.close(reason)
            case .register(let token):
                directory.register(token: token, host: self)
                publishSeats()
            case .retire(let token):
                directory.retire(token: token)
                publishSeats()
            case .away(let player, _):
                logger.info("player away", metadata: ["player": "\(player)"])
            case .endMatch(let reason):
                apply(.stop)
                end(reason: reason)
            }
        }
    }

    /// The seats a resume token can take back, for the cluster; a seat new
    /// since the last call is dated `since` (the current tick by default).
    func publishSeats(newSince since: Int? = nil) {
        let tick = since ?? match.tick
        resumableSeats.withLockedValue { published in
            let known = Dictionary(published.map { ($0.token, $0.sinceTick) }, uniquingKeysWith: { first, _ in first })
            published = seating.seats.values.sorted { $0.player < $1.player }.map { seat in
                ResumableSeat(player: seat.player, token: seat.resumeToken, account: seat.account,
                              sinceTick: known[seat.resumeToken] ?? tick)
            }
        }
    }

    /// Keeps `link` where the supervisor can reach it.
    func remember(_ link: ClientLink) { links.withLockedValue { $0[link.id] = link } }

    /// Stops writing to `linkID`; returns its link if it was known.
    @discardableResult
    func forget(_ linkID: Int) -> ClientLink? { links.withLockedValue { $0.removeValue(forKey: linkID) } }
}
