import Engine
@testable import Server
import Testing

/// Seats, the resume grace, the empty-match timeout and the ack ring, on
/// virtual time: no match, no socket, no clock.
@Suite struct MatchSeatingTests {
    typealias Action = MatchSeating.Action

    private static func seating(maxPlayers: Int = 2, maxSpectators: Int = 2, grace: Duration = .seconds(10),
                                emptyTimeout: Duration? = .seconds(60), sending: SendSchedule = .everyTick) -> MatchSeating {
        MatchSeating(settings: MatchSeating.Settings(maxPlayers: maxPlayers, maxSpectators: maxSpectators,
                                                     resumeGrace: grace, emptyTimeout: emptyTimeout, sendSchedule: sending))
    }

    /// Seats a new player the way the host does: admit, the match's answer
    /// (`player`), then `joined`.
    private func join(_ seating: inout MatchSeating, link: Int, player: Int, account: String? = nil,
                      tick: Int = 0) -> (MatchSeating.Admitted, [Action]) {
        let decision = seating.admit(.player(name: "p\(player)", account: account), link: link, tick: tick)
        guard case .join(let request) = decision else {
            Issue.record("expected a join, got \(decision)")
            return (.refused(.close(.internalError, "")), [])
        }
        #expect(request.command == .join(name: "p\(player)", account: account))
        return seating.joined(request, outcome: .joined(player: player), token: "token\(player)", tick: tick)
    }

    private func decided(_ decision: MatchSeating.Decision) -> (MatchSeating.Admitted, [Action])? {
        guard case .decided(let answer, let actions) = decision else { return nil }
        return (answer, actions)
    }

    @Test func aJoinRegistersItsTokenAndWelcomesThePlayer() {
        var seating = Self.seating()
        let (answer, actions) = join(&seating, link: 7, player: 1)
        #expect(answer == .player(id: 1, resumeToken: "token1"))
        #expect(actions == [.register(token: "token1"), .welcome(link: 7, player: 1, resumeToken: "token1")])
        #expect(seating.isAttached(player: 1, link: 7))
        #expect(!seating.isAttached(player: 1, link: 8))
    }

    @Test func aReloadResendsFullSnapshotsAndWelcomesOnASchemaChange() {
        var seating = Self.seating(maxPlayers: 3)
        _ = join(&seating, link: 7, player: 1)
        _ = join(&seating, link: 8, player: 2)
        _ = seating.admit(.spectator(follow: nil), link: 9, tick: 0)
        let first = seating.fanOut(tick: 1, history: 64, now: .zero) { _ in true }
        #expect(first.deliveries.allSatisfy { $0.baseline == nil })
        #expect(seating.fanOut(tick: 2, history: 64, now: .zero) { _ in true }.deliveries.allSatisfy { $0.baseline == 1 })

        // Same schema: no welcome, but the next frames are full, with the
        // events after the last tick sent.
        #expect(seating.rulesReloaded(maxPlayers: 3, schemaChanged: false) { _ in true }.isEmpty)
        #expect(seating.fanOut(tick: 3, history: 64, now: .zero) { _ in true }.deliveries.allSatisfy { $0.baseline == nil && $0.eventsAfter == 2 })

        // A new schema: a welcome each (same seat and token), then full frames.
        let actions = seating.rulesReloaded(maxPlayers: 3, schemaChanged: true) { _ in true }
        #expect(actions == [.welcome(link: 7, player: 1, resumeToken: "token1"), .welcome(link: 8, player: 2, resumeToken: "token2"),
                            .welcome(link: 9, player: 0, resumeToken: "")])
        #expect(seating.fanOut(tick: 4, history: 64, now: .zero) { _ in true }.deliveries.count == 3)
    }

    @Test func aSeatTheReloadedRulesDidNotGiveIsClosedWithoutALeave() {
        var seating = Self.seating(maxPlayers: 3)
        _ = join(&seating, link: 7, player: 1)
        _ = join(&seating, link: 8, player: 2)
        let actions = seating.rulesReloaded(maxPlayers: 1, schemaChanged: false) { $0 == 1 }
        #expect(actions == [.close(link: 8, .error(.refused, "the reloaded rules did not seat this player")), .retire(token: "token2")])
        #expect(seating.playerCount == 1 && seating.settings.maxPlayers == 1)
    }

    @Test func theGameRefusingAJoinLeavesNoSeat() {
        var seating = Self.seating()
        guard case .join(let request) = seating.admit(.player(name: "x", account: nil), link: 1, tick: 0) else {
            Issue.record("expected a join"); return
        }
        let (answer, actions) = seating.joined(request, outcome: .refused(reason: "no"), token: "t", tick: 0)
        #expect(answer == .refused(.error(.refused, "no")))
        #expect(actions.isEmpty && seating.playerCount == 0)
    }

    @Test func graceKeepsTheSeatThenFreesIt() {
        var seating = Self.seating(grace: .seconds(10))
        _ = join(&seating, link: 7, player: 1)
        #expect(seating.disconnected(link: 7, now: .seconds(5)) == [.away(player: 1, until: .seconds(15))])
        #expect(!seating.isAttached(player: 1, link: 7))
        #expect(seating.tickDue(now: .seconds(14)).isEmpty)
        #expect(seating.playerCount == 1)
        #expect(seating.tickDue(now: .seconds(15)) == [.retire(token: "token1"), .apply(.leave(player: 1))])
        #expect(seating.playerCount == 0)
        #expect(seating.tickDue(now: .seconds(16)).isEmpty)
    }

    @Test func expiredSeatsAreFreedInPlayerOrder() {
        var seating = Self.seating(maxPlayers: 3)
        for player in [3, 1, 2] { _ = join(&seating, link: 10 + player, player: player) }
        for player in [2, 3, 1] { _ = seating.disconnected(link: 10 + player, now: .zero) }
        let leaves = seating.tickDue(now: .seconds(10)).compactMap { action -> Int? in
            if case .apply(.leave(let player)) = action { player } else { nil }
        }
        #expect(leaves == [1, 2, 3])
    }

    @Test func withoutGraceADropFreesTheSeatAtOnceAndNoTokenIsShown() {
        var seating = Self.seating(grace: .zero)
        let (answer, actions) = join(&seating, link: 7, player: 1)
        #expect(answer == .player(id: 1, resumeToken: "token1"))
        #expect(actions == [.welcome(link: 7, player: 1, resumeToken: "")])
        #expect(seating.disconnected(link: 7, now: .zero) == [.retire(token: "token1"), .apply(.leave(player: 1))])
        #expect(seating.playerCount == 0)
    }

    @Test func aResumeWithinTheGraceReattachesAndRestartsInputs() throws {
        var seating = Self.seating()
        _ = join(&seating, link: 7, player: 1)
        _ = seating.disconnected(link: 7, now: .seconds(1))
        let (answer, actions) = try #require(decided(seating.admit(.resume(token: "token1"), link: 9, tick: 40)))
        #expect(answer == .player(id: 1, resumeToken: "token1"))
        #expect(actions == [.apply(.resume(player: 1)), .welcome(link: 9, player: 1, resumeToken: "token1")])
        #expect(seating.isAttached(player: 1, link: 9))
        #expect(seating.seats[1]?.awayUntil == nil)
        // The seat is no longer away: the old deadline frees nothing.
        #expect(seating.tickDue(now: .seconds(20)).isEmpty)
        #expect(seating.playerCount == 1)
        // A new connection gets a full snapshot first, with the events since it came.
        let plan = seating.fanOut(tick: 41, history: 64, now: .seconds(20)) { _ in true }
        #expect(plan.deliveries == [MatchSeating.Delivery(link: 9, audience: .player(1), baseline: nil, eventsAfter: 40)])
    }

    @Test func aResumeTakesTheSeatFromALinkStillHoldingIt() throws {
        var seating = Self.seating()
        _ = join(&seating, link: 7, player: 1)
        let (_, actions) = try #require(decided(seating.admit(.resume(token: "token1"), link: 9, tick: 0)))
        #expect(actions == [.close(link: 7, .error(.kicked, "this seat was taken over by a new connection")),
                            .apply(.resume(player: 1)), .welcome(link: 9, player: 1, resumeToken: "token1")])
        // The old link's drop, arriving later, changes nothing.
        #expect(seating.disconnected(link: 7, now: .zero).isEmpty)
        #expect(seating.isAttached(player: 1, link: 9))
    }

    @Test func aResumeAfterTheGraceIsRefusedAsNotFound() throws {
        var seating = Self.seating(grace: .seconds(10))
        _ = join(&seating, link: 7, player: 1)
        _ = seating.disconnected(link: 7, now: .zero)
        _ = seating.tickDue(now: .seconds(10))
        let (answer, actions) = try #require(decided(seating.admit(.resume(token: "token1"), link: 9, tick: 0)))
        guard case .refused(.error(.notFound, _)) = answer else { Issue.record("got \(answer)"); return }
        #expect(actions.isEmpty)
    }

    @Test func theSameAccountRejoiningTakesItsSeatBack() throws {
        var seating = Self.seating(maxPlayers: 1)
        _ = join(&seating, link: 7, player: 1, account: "ann")
        _ = seating.disconnected(link: 7, now: .zero)
        // The match is full, and the account still gets its seat back.
        let (answer, actions) = try #require(decided(seating.admit(.player(name: "Ann", account: "ann"), link: 8, tick: 0)))
        #expect(answer == .player(id: 1, resumeToken: "token1"))
        #expect(actions == [.apply(.resume(player: 1)), .welcome(link: 8, player: 1, resumeToken: "token1")])
        // Another account is refused: full.
        let (other, _) = try #require(decided(seating.admit(.player(name: "Bob", account: "bob"), link: 9, tick: 0)))
        guard case .refused(.error(.matchFull, _)) = other else { Issue.record("got \(other)"); return }
    }

    @Test func aFullMatchRefusesBeforeAskingTheGame() throws {
        var seating = Self.seating(maxPlayers: 2)
        _ = join(&seating, link: 1, player: 1)
        _ = join(&seating, link: 2, player: 2)
        // Away seats still count.
        _ = seating.disconnected(link: 2, now: .zero)
        let (answer, actions) = try #require(decided(seating.admit(.player(name: "Cy", account: nil), link: 3, tick: 0)))
        #expect(answer == .refused(.error(.matchFull, "the match is full (2 players)")))
        #expect(actions.isEmpty)
    }

    @Test func spectatorsAreWelcomedUpToTheLimitAndForgottenWhenGone() throws {
        var seating = Self.seating(maxSpectators: 2)
        for link in [1, 2] {
            #expect(decided(seating.admit(.spectator(follow: nil), link: link, tick: 0))?.1 == [.welcome(link: link, player: 0, resumeToken: "")])
        }
        let (third, _) = try #require(decided(seating.admit(.spectator(follow: nil), link: 3, tick: 0)))
        #expect(third == .refused(.error(.matchFull, "the match has its most spectators (2)")))
        #expect(seating.disconnected(link: 1, now: .zero).isEmpty)
        #expect(seating.spectatorCount == 1)
        #expect(decided(seating.admit(.spectator(follow: nil), link: 3, tick: 0))?.0 == .spectator)
    }

    @Test func anEmptyMatchEndsOnlyAfterTheTimeoutWithNobodyInIt() {
        var seating = Self.seating(grace: .seconds(10), emptyTimeout: .seconds(60))
        #expect(seating.tickDue(now: .zero).isEmpty)
        #expect(seating.tickDue(now: .seconds(30)).isEmpty)
        // Somebody comes and goes: the wait starts over once nobody is left.
        _ = join(&seating, link: 1, player: 1)
        #expect(seating.tickDue(now: .seconds(59)).isEmpty)
        _ = seating.disconnected(link: 1, now: .seconds(59))
        // Away within the grace still counts as somebody.
        #expect(seating.tickDue(now: .seconds(65)).isEmpty)
        #expect(seating.emptySince == nil)
        #expect(seating.tickDue(now: .seconds(69)) == [.retire(token: "token1"), .apply(.leave(player: 1))])
        #expect(seating.emptySince == .seconds(69))
        #expect(seating.tickDue(now: .seconds(128)).isEmpty)
        #expect(seating.tickDue(now: .seconds(129)) == [.endMatch(.close(.normalClosure, "the match ended: nobody was in it"))])
    }

    @Test func withoutAnEmptyTimeoutAnEmptyMatchGoesOn() {
        var seating = Self.seating(grace: .zero, emptyTimeout: nil)
        #expect(seating.tickDue(now: .zero).isEmpty)
        _ = join(&seating, link: 1, player: 1)
        #expect(seating.disconnected(link: 1, now: .seconds(1)).contains(.apply(.leave(player: 1))))
        #expect(seating.tickDue(now: .seconds(1)).isEmpty)
        #expect(seating.emptySince == .seconds(1))
        #expect(seating.tickDue(now: .seconds(365 * 86_400)).isEmpty)
        #expect(!seating.isOver)
    }

    @Test func aSpectatorKeepsAMatchAlive() {
        var seating = Self.seating(emptyTimeout: .seconds(1))
        _ = seating.admit(.spectator(follow: nil), link: 1, tick: 0)
        #expect(seating.tickDue(now: .zero).isEmpty)
        #expect(seating.tickDue(now: .seconds(5)).isEmpty)
        _ = seating.disconnected(link: 1, now: .seconds(5))
        #expect(seating.tickDue(now: .seconds(5)).isEmpty)
        #expect(seating.tickDue(now: .seconds(6)) == [.endMatch(.close(.normalClosure, "the match ended: nobody was in it"))])
    }

    @Test func aTickThatDidNotMoveSendsNothingToWhoHoldsIt() {
        // A paused replay fans out the same tick again: whoever holds it
        // gets no frame (its events would arrive twice); a newcomer does.
        var seating = Self.seating()
        _ = seating.admit(.spectator(follow: nil), link: 1, tick: 10)
        #expect(seating.fanOut(tick: 11, history: 8, now: .zero) { _ in true }.deliveries.map(\.link) == [1])
        #expect(seating.fanOut(tick: 11, history: 8, now: .zero) { _ in true }.deliveries.isEmpty)
        _ = seating.admit(.spectator(follow: nil), link: 2, tick: 11)
        let plan = seating.fanOut(tick: 11, history: 8, now: .zero) { _ in true }
        #expect(plan.deliveries == [MatchSeating.Delivery(link: 2, audience: .spectator, baseline: nil, eventsAfter: 11)])
    }

    /// `game.send_rate` 20 of 60: frames only every third tick; a link that
    /// comes between two sends waits for the next, and its first frame
    /// names the tick it came at, for the events since.
    @Test func aSendRateHandsFramesOnlyOnItsSendTicks() {
        var seating = Self.seating(sending: SendSchedule(tickRate: 60, sendRate: 20))
        _ = join(&seating, link: 1, player: 1, tick: 10)
        var sent: [Int: [MatchSeating.Delivery]] = [:]
        for tick in 11...30 {
            if tick == 13 { _ = seating.admit(.spectator(follow: nil), link: 2, tick: 13) }
            let plan = seating.fanOut(tick: tick, history: 8, now: .zero) { _ in true }
            #expect(plan.tooSlow.isEmpty && plan.actions.isEmpty)
            if !plan.deliveries.isEmpty { sent[tick] = plan.deliveries }
        }
        #expect(sent.keys.sorted() == [12, 15, 18, 21, 24, 27, 30])
        #expect(sent[12] == [MatchSeating.Delivery(link: 1, audience: .player(1), baseline: nil, eventsAfter: 10)])
        #expect(Set(sent[15]!.map(\.link)) == [1, 2])
        #expect(sent[15]!.first { $0.link == 1 } == MatchSeating.Delivery(link: 1, audience: .player(1), baseline: 12))
        #expect(sent[15]!.first { $0.link == 2 } == MatchSeating.Delivery(link: 2, audience: .spectator, baseline: nil, eventsAfter: 13))
        #expect(sent[18]!.first { $0.link == 1 } == MatchSeating.Delivery(link: 1, audience: .player(1), baseline: 15, prior: 12))
        #expect(sent[30]!.first { $0.link == 2 } == MatchSeating.Delivery(link: 2, audience: .spectator, baseline: 27, prior: 24))
    }

    /// At a send rate a link that stops reading is skipped at send ticks and
    /// closed once its baseline would leave the history, as at every tick.
    @Test func aSendRateStillClosesALinkThatFallsTooFarBehind() {
        var seating = Self.seating(sending: SendSchedule(tickRate: 60, sendRate: 20))
        _ = join(&seating, link: 1, player: 1, tick: 0)
        #expect(seating.fanOut(tick: 3, history: 8, now: .zero) { _ in true }.deliveries.count == 1)
        // Skipped at 6 (3 ticks behind), 9 (6 behind), then closed at 12 (9 ≥ 8 − 1).
        for tick in 4...11 { #expect(seating.fanOut(tick: tick, history: 8, now: .zero) { _ in false }.tooSlow.isEmpty) }
        #expect(seating.fanOut(tick: 12, history: 8, now: .zero) { _ in false }.tooSlow == [1])
    }

    /// A seek: full frames next, with the events after the tick sought only.
    @Test func aSeekSendsFullFramesWithTheEventsAfterTheTickSought() {
        var seating = Self.seating()
        _ = seating.admit(.spectator(follow: nil), link: 1, tick: 0)
        for tick in 1...5 { _ = seating.fanOut(tick: tick, history: 64, now: .zero) { _ in true } }
        seating.timelineMoved(to: 300)
        #expect(seating.fanOut(tick: 300, history: 64, now: .zero) { _ in true }.deliveries
                == [MatchSeating.Delivery(link: 1, audience: .spectator, baseline: nil, eventsAfter: 300)])
        #expect(seating.fanOut(tick: 301, history: 64, now: .zero) { _ in true }.deliveries
                == [MatchSeating.Delivery(link: 1, audience: .spectator, baseline: 300)])
    }

    /// A reload may change the send rate; one that does not say keeps it.
    @Test func aReloadTakesTheNewSendRate() {
        var seating = Self.seating(sending: SendSchedule(tickRate: 60, sendRate: 20))
        _ = join(&seating, link: 1, player: 1, tick: 0)
        #expect(seating.fanOut(tick: 1, history: 64, now: .zero) { _ in true }.deliveries.isEmpty)
        _ = seating.rulesReloaded(maxPlayers: 2, schemaChanged: false, sendSchedule: SendSchedule(tickRate: 60, sendRate: 60)) { _ in true }
        #expect(seating.fanOut(tick: 2, history: 64, now: .zero) { _ in true }.deliveries.count == 1)
        _ = seating.rulesReloaded(maxPlayers: 2, schemaChanged: false) { _ in true }
        #expect(seating.fanOut(tick: 4, history: 64, now: .zero) { _ in true }.deliveries.count == 1)
        #expect(seating.settings.sendSchedule == SendSchedule(tickRate: 60, sendRate: 60))
    }

    @Test func framesMoveBaselinesAndAnUnwritableLinkIsSkippedThenClosedAsTooSlow() {
        var seating = Self.seating()
        _ = join(&seating, link: 1, player: 1, tick: 10)
        _ = join(&seating, link: 2, player: 2, tick: 10)
        _ = seating.admit(.spectator(follow: nil), link: 3, tick: 10)
        var plan = seating.fanOut(tick: 11, history: 8, now: .zero) { _ in true }
        #expect(Set(plan.deliveries.map(\.link)) == [1, 2, 3])
        #expect(plan.deliveries.allSatisfy { $0.baseline == nil })
        // Player 2 and the spectator stop reading: skipped while their
        // baseline stays within the history…
        for tick in 12...17 {
            plan = seating.fanOut(tick: tick, history: 8, now: .zero) { $0 == 1 }
            // Its prior is the frame before its baseline (none before its first).
            #expect(plan.deliveries == [MatchSeating.Delivery(link: 1, audience: .player(1), baseline: tick - 1,
                                                              prior: tick == 12 ? nil : tick - 2)])
            #expect(plan.tooSlow.isEmpty && plan.actions.isEmpty)
        }
        // …then closed; the player's seat waits for the grace.
        plan = seating.fanOut(tick: 18, history: 8, now: .seconds(3)) { $0 == 1 }
        let slow = Disconnect.error(.tooSlow, "the connection could not keep up with the match")
        #expect(plan.tooSlow == [2, 3])
        #expect(plan.actions == [.close(link: 2, slow), .away(player: 2, until: .seconds(13)), .close(link: 3, slow)])
        #expect(seating.spectatorCount == 0 && seating.playerCount == 2)
    }

    @Test func acksFeedTheDelayOnlyForFramesActuallySent() {
        var seating = Self.seating()
        seating.framesSent(tick: 5, at: .milliseconds(100))
        #expect(seating.ackDelay(tick: 5, at: .milliseconds(130)) == .milliseconds(30))
        // Never sent, sent long ago (out of the ring), from the future, negative.
        #expect(seating.ackDelay(tick: 6, at: .milliseconds(130)) == nil)
        #expect(seating.ackDelay(tick: 5 + 64, at: .milliseconds(130)) == nil)
        #expect(seating.ackDelay(tick: -1, at: .milliseconds(130)) == nil)
        seating.framesSent(tick: 5 + 64, at: .milliseconds(200))
        #expect(seating.ackDelay(tick: 5, at: .milliseconds(230)) == nil)
        #expect(seating.ackDelay(tick: 5 + 64, at: .milliseconds(230)) == .milliseconds(30))
        // An ack stamped before the frame was recorded as sent is not a delay.
        #expect(seating.ackDelay(tick: 5 + 64, at: .milliseconds(199)) == nil)
    }

    @Test func theEndClosesEveryLinkRetiresEveryTokenAndRefusesAfterwards() throws {
        var seating = Self.seating()
        _ = join(&seating, link: 1, player: 1)
        _ = join(&seating, link: 2, player: 2)
        _ = seating.disconnected(link: 2, now: .zero)
        _ = seating.admit(.spectator(follow: nil), link: 3, tick: 0)
        let reason = Disconnect.shuttingDown
        #expect(seating.end(reason) == [.close(link: 1, reason), .retire(token: "token1"), .retire(token: "token2"),
                                        .close(link: 3, reason)])
        #expect(seating.isOver && seating.playerCount == 0 && seating.spectatorCount == 0)
        #expect(seating.end(reason).isEmpty)
        #expect(seating.tickDue(now: .seconds(1000)).isEmpty)
        #expect(seating.disconnected(link: 1, now: .zero).isEmpty)
        let (answer, _) = try #require(decided(seating.admit(.spectator(follow: nil), link: 4, tick: 0)))
        #expect(answer == .refused(.error(.matchOver, "the match is over")))
    }
}
