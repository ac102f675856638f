import Engine
import NIOCore

/// Seating: joins, resumes, spectators, drops and the grace period.
extension MatchHost {
    /// What a connection asks of a match.
    enum Admission: Sendable {
        case player(name: String, account: String?)
        case resume(token: String)
        case spectator
    }

    /// The answer: the client's welcome is already on its way when seated.
    enum Admitted: Sendable, Equatable {
        case player(id: Int, resumeToken: String)
        case spectator
        case refused(Disconnect)
    }

    /// Seats `link` (on the match's loop). On success the welcome is written
    /// to the link at once; its first frame, at the next tick, is a full
    /// snapshot.
    func admit(_ admission: Admission, link: ClientLink) -> Admitted {
        eventLoop.preconditionInEventLoop()
        guard !isAbandoned else { return .refused(.error(.matchOver, "the match was abandoned")) }
        defer { publish() }
        guard match.status.isRunning, !ended else { return .refused(.error(.matchOver, "the match is over")) }
        switch admission {
        case .player(let name, let account):
            if let account, let seat = seats.values.first(where: { $0.account == account }) {
                return reattach(seat.playerID, link: link)
            }
            guard seats.count < game.maxPlayers else {
                return .refused(.error(.matchFull, "the match is full (\(game.maxPlayers) players)"))
            }
            switch working(.join, { match.join(name: name) }) {
            case .joined(let playerID):
                let token = ResumeToken.make()
                let seat = Seat(playerID: playerID, name: match.players.first { $0.id == playerID }?.name ?? name,
                                resumeToken: token, account: account, recipient: nil, awayUntil: nil)
                seats[playerID] = seat
                if settings.resumeGrace > .zero { directory.register(token: token, host: self) }
                logger.info("player joined", metadata: ["player": "\(playerID)", "name": "\(seat.name)"])
                return attach(playerID, link: link)
            case .refused(let reason):
                return .refused(.error(.refused, reason))
            }
        case .resume(let token):
            guard let seat = seats.values.first(where: { $0.resumeToken == token }) else {
                return .refused(.error(.notFound, "no seat holds this resume token (its grace period may have ended)"))
            }
            return reattach(seat.playerID, link: link)
        case .spectator:
            guard spectators.count < settings.maxSpectators else {
                return .refused(.error(.matchFull, "the match has its most spectators (\(settings.maxSpectators))"))
            }
            var recipient = Recipient(link: link, baseline: nil, since: match.tick)
            sendWelcome(playerID: 0, token: "", to: &recipient, audience: .spectator)
            spectators[link.id] = recipient
            remember(link)
            return .spectator
        }
    }

    /// Moves a seat to a new connection; an old one still attached is closed.
    private func reattach(_ playerID: Int, link: ClientLink) -> Admitted {
        if let old = seats[playerID]?.recipient, old.link.id != link.id {
            old.link.close(.error(.kicked, "this seat was taken over by a new connection"))
            forget(old.link)
        }
        seats[playerID]!.awayUntil = nil
        match.restartInputs(of: playerID)
        logger.info("player resumed", metadata: ["player": "\(playerID)"])
        return attach(playerID, link: link)
    }

    private func attach(_ playerID: Int, link: ClientLink) -> Admitted {
        var recipient = Recipient(link: link, baseline: nil, since: match.tick)
        let token = seats[playerID]!.resumeToken
        sendWelcome(playerID: playerID, token: settings.resumeGrace > .zero ? token : "", to: &recipient,
                    audience: .player(playerID))
        seats[playerID]!.recipient = recipient
        remember(link)
        return .player(id: playerID, resumeToken: token)
    }

    /// The welcome; the next tick's frame is a full snapshot (no baseline
    /// yet), which already holds what `game.join` did.
    private func sendWelcome(playerID: Int, token: String, to recipient: inout Recipient,
                             audience: SnapshotMessage.Audience) {
        recipient.link.send(match.welcome(playerID: playerID, matchID: id, resumeToken: token))
        recipient.baseline = nil
    }

    /// The connection `linkID` is gone (closed by either side). A player's
    /// seat waits for the grace period; a spectator is simply forgotten.
    func disconnected(linkID: Int) {
        eventLoop.preconditionInEventLoop()
        guard !isAbandoned, !ended else { return }
        links.withLockedValue { _ = $0.removeValue(forKey: linkID) }
        defer { publish() }
        if spectators.removeValue(forKey: linkID) != nil { return }
        guard let seat = seats.values.first(where: { $0.recipient?.link.id == linkID }) else { return }
        working(.leave) { detach(playerID: seat.playerID) }
    }

    /// Keeps `link` where the supervisor can reach it.
    func remember(_ link: ClientLink) { links.withLockedValue { $0[link.id] = link } }

    func forget(_ link: ClientLink) { links.withLockedValue { _ = $0.removeValue(forKey: link.id) } }

    /// Takes a seat's connection away; the seat is kept for the grace period.
    func detach(playerID: Int) {
        guard seats[playerID] != nil else { return }
        seats[playerID]!.recipient = nil
        if settings.resumeGrace > .zero, match.status.isRunning, !ended {
            seats[playerID]!.awayUntil = .now() + TimeAmount(settings.resumeGrace)
            logger.info("player away", metadata: ["player": "\(playerID)"])
        } else {
            leave(playerID)
        }
    }

    /// Frees the seats whose grace period has ended; `game.leave` runs now.
    func freeExpiredSeats(now: NIODeadline) {
        for seat in seats.values {
            if let until = seat.awayUntil, until <= now { leave(seat.playerID) }
        }
    }

    private func leave(_ playerID: Int) {
        guard let seat = seats.removeValue(forKey: playerID) else { return }
        directory.retire(token: seat.resumeToken)
        if match.status.isRunning { match.leave(playerID: playerID) }
        logger.info("player left", metadata: ["player": "\(playerID)"])
    }
}
