import NIOCore
import NIOWebSocket
import Testing

@testable import WebSocket

/// Closing, writes, timers and decoder errors, on the state machine alone.
@Suite struct WebSocketConnectionTests {
    let peer = Peer.client

    // MARK: Close frames from the peer

    @Test(arguments: [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999] as [UInt16])
    func validCloseCodeIsEchoedAndTheServerCloses(code: UInt16) {
        var ws = connection(.server)
        let action = ws.receive(peer.close(code: code, reason: Array("bye".utf8)), now: t0)
        guard case .close(let reply?, let report) = action else {
            Issue.record("expected close, got \(action)")
            return
        }
        #expect(closeBody(reply)?.code == code)
        #expect(report == WebSocketClosed(code: WebSocketCloseCode(rawValue: code), reason: "bye", initiatedByPeer: true))
        #expect(ws.state == .closed)
    }

    @Test(arguments: [0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535] as [UInt16])
    func invalidCloseCodeFailsWith1002(code: UInt16) {
        var ws = connection()
        let action = ws.receive(peer.close(code: code), now: t0)
        #expect(action.sentCloseCode == 1002)
        #expect(action.isFailure)
    }

    @Test func emptyCloseIsAnsweredWith1000() {
        var ws = connection()
        let action = ws.receive(peer.close(code: nil), now: t0)
        #expect(action.sentCloseCode == 1000)
        if case .close(_, let report) = action {
            #expect(report == WebSocketClosed(code: nil, reason: "", initiatedByPeer: true))
        }
    }

    @Test func oneByteClosePayloadFailsWith1002() {
        var ws = connection()
        #expect(ws.receive(peer.frame(.connectionClose, [0x03]), now: t0).sentCloseCode == 1002)
    }

    @Test func closeReasonThatIsNotUTF8FailsWith1007() {
        var ws = connection()
        #expect(ws.receive(peer.close(code: 1000, reason: [0xCE, 0xBA, 0xFF]), now: t0).sentCloseCode == 1007)
    }

    @Test func clientEchoesAndWaitsForTheServerToCloseTCP() {
        var ws = connection(.client)
        let action = ws.receive(Peer.server.close(code: 1001), now: t0)
        guard case .awaitClose(let reply?, let timeout) = action else {
            Issue.record("expected awaitClose, got \(action)")
            return
        }
        #expect(reply.maskKey != nil)
        #expect(closeBody(reply)?.code == 1001)
        #expect(timeout == .seconds(5))
        let closed = WebSocketClosed(code: .goingAway, reason: "", initiatedByPeer: true)
        #expect(ws.state == .awaitingTCPClose(closed))
        #expect(ws.receive(Peer.server.frame(.binary, [1]), now: t0) == .none)
        #expect(ws.connectionEnded() == .close(send: nil, report: closed))
        #expect(ws.connectionEnded() == .none)
    }

    @Test func clientClosesTCPItselfAfterTheTimeout() {
        var ws = connection(.client)
        _ = ws.receive(Peer.server.close(code: 1000), now: t0)
        let closed = WebSocketClosed(code: .normalClosure, reason: "", initiatedByPeer: true)
        #expect(ws.closeTimeoutFired() == .close(send: nil, report: closed))
        #expect(ws.state == .closed)
    }

    // MARK: Closing from our side

    @Test func weCloseThenThePeerAnswersAndTheServerCloses() {
        var ws = connection(.server)
        let action = ws.close(code: .goingAway, reason: "shutting down")
        guard case .awaitClose(let frame?, .seconds(5)) = action else {
            Issue.record("expected awaitClose, got \(action)")
            return
        }
        #expect(closeBody(frame)?.code == 1001)
        #expect(closeBody(frame)?.reason == "shutting down")
        // Data after our close is ignored; nothing more may be sent.
        #expect(ws.receive(peer.frame(.binary, [1]), now: t0) == .none)
        #expect(ws.receive(peer.frame(.ping, [1]), now: t0) == .none)
        #expect(ws.send(.binary(ByteBuffer(bytes: [1])), buffered: 0) == .refuse(.closeSent, then: .none))
        #expect(ws.close(code: .normalClosure, reason: "again") == .none)
        #expect(ws.pingDue() == .none)

        let closed = WebSocketClosed(code: .goingAway, reason: "shutting down", initiatedByPeer: false)
        #expect(ws.receive(peer.close(code: 1001), now: t0) == .close(send: nil, report: closed))
    }

    @Test func weCloseAsAClientThenWaitForTCP() {
        var ws = connection(.client)
        guard case .awaitClose(let frame?, _) = ws.close(code: .normalClosure, reason: "") else {
            Issue.record("no close frame")
            return
        }
        #expect(frame.maskKey != nil)
        #expect(ws.receive(Peer.server.close(code: 1000), now: t0) == .awaitClose(send: nil, timeout: .seconds(5)))
        let closed = WebSocketClosed(code: .normalClosure, reason: "", initiatedByPeer: false)
        #expect(ws.closeTimeoutFired() == .close(send: nil, report: closed))
    }

    @Test func closeTimeoutEndsAnUnansweredClose() {
        var ws = connection()
        _ = ws.close(code: .normalClosure, reason: "done")
        let closed = WebSocketClosed(code: .normalClosure, reason: "done", initiatedByPeer: false)
        #expect(ws.closeTimeoutFired() == .close(send: nil, report: closed))
        #expect(ws.closeTimeoutFired() == .none)
    }

    @Test func longReasonIsCutAtACharacterBoundary() {
        var ws = connection()
        let reason = String(repeating: "a", count: 122) + "é"  // 124 bytes, é is two
        guard case .awaitClose(let frame?, _) = ws.close(code: .normalClosure, reason: reason) else {
            Issue.record("no close frame")
            return
        }
        #expect(frame.data.readableBytes == 2 + 122)
        #expect(closeBody(frame)?.reason == String(repeating: "a", count: 122))
    }

    @Test func codeThatMayNotBeSentGivesAnEmptyCloseFrame() {
        var ws = connection()
        guard case .awaitClose(let frame?, _) = ws.close(code: WebSocketCloseCode(rawValue: 1005), reason: "x") else {
            Issue.record("no close frame")
            return
        }
        #expect(frame.data.readableBytes == 0)
    }

    // MARK: Writes

    @Test func serverSendsUnmaskedAndClientSendsMaskedWithFreshKeys() throws {
        var server = connection(.server)
        let frame = try server.send(.text("hi"), buffered: 0).get()
        #expect(frame.opcode == .text && frame.fin && frame.maskKey == nil)
        #expect(frame.data == ByteBuffer(string: "hi"))

        var client = connection(.client)
        let keys = try (0..<8).map { _ in try client.send(.binary(ByteBuffer(bytes: [1])), buffered: 0).get().maskKey }
        #expect(keys.allSatisfy { $0 != nil })
        #expect(Set(keys.map { $0.map { Array($0) } ?? [] }).count > 1)
    }

    @Test func writesAfterTheEndFail() {
        var failed = connection()
        _ = failed.receive(peer.frame(.continuation, []), now: t0)
        #expect(failed.send(.text("x"), buffered: 0) == .refuse(.closeSent, then: .none))
        var dropped = connection()
        _ = dropped.connectionEnded()
        #expect(dropped.send(.text("x"), buffered: 0) == .refuse(.connectionEnded, then: .none))
    }

    // MARK: Timers

    @Test func pingIsSentWhileOpen() {
        var ws = connection(.client)
        guard case .send(let ping) = ws.pingDue() else {
            Issue.record("no ping")
            return
        }
        #expect(ping.opcode == .ping && ping.maskKey != nil)
    }

    @Test func idlePeerIsDroppedWith1001() {
        var ws = connection()
        #expect(ws.start(now: t0) == .scheduleIdleCheck(t0 + .seconds(45)))
        _ = ws.receive(peer.frame(.pong), now: t0 + .seconds(10))
        // Checked when first scheduled: a frame came since, so look again later.
        #expect(ws.idleCheckDue(now: t0 + .seconds(45)) == .scheduleIdleCheck(t0 + .seconds(55)))
        let action = ws.idleCheckDue(now: t0 + .seconds(55))
        #expect(action.sentCloseCode == 1001)
        if case .close(let frame?, let report) = action {
            #expect(closeBody(frame)?.reason == "idle timeout")
            #expect(report == WebSocketClosed(code: .goingAway, reason: "idle timeout", initiatedByPeer: false))
        }
    }

    @Test func idleWhileClosingClosesWithoutAnotherFrame() {
        var ws = connection()
        _ = ws.close(code: .normalClosure, reason: "")
        let closed = WebSocketClosed(code: .normalClosure, reason: "", initiatedByPeer: false)
        #expect(ws.idleCheckDue(now: t0 + .seconds(46)) == .close(send: nil, report: closed))
    }

    // MARK: Decoder errors and TCP

    @Test func decoderErrorsMapToCloseCodes() {
        let cases: [(NIOWebSocketError, UInt16)] = [
            (.invalidFrameLength, 1009), (.fragmentedControlFrame, 1002), (.multiByteControlFrameLength, 1002),
        ]
        for (error, code) in cases {
            var ws = connection()
            let action = ws.decoderFailed(error)
            #expect(action.sentCloseCode == code, "\(error)")
            #expect(ws.state == .closed)
        }
    }

    @Test func decoderErrorWhileAwaitingThePeersCloseJustCloses() {
        var ws = connection()
        _ = ws.close(code: .normalClosure, reason: "")
        let closed = WebSocketClosed(code: .normalClosure, reason: "", initiatedByPeer: false)
        #expect(ws.decoderFailed(.invalidFrameLength) == .close(send: nil, report: closed))
    }

    @Test func closingTheChannelOurselvesIsReportedAsOurs() {
        var open = connection()
        #expect(open.closedLocally() == .close(send: nil, report: WebSocketClosed(code: nil, reason: "", initiatedByPeer: false)))
        #expect(open.send(.text("x"), buffered: 0) == .refuse(.connectionEnded, then: .none))
        var closing = connection()
        _ = closing.close(code: .goingAway, reason: "bye")
        #expect(closing.closedLocally() == .close(send: nil, report: WebSocketClosed(code: .goingAway, reason: "bye", initiatedByPeer: false)))
        #expect(closing.connectionEnded() == .none)
    }

    @Test func endOfTCPWhileOpenIsAnAbnormalClosure() {
        var ws = connection()
        _ = ws.receive(peer.frame(.binary, [1], fin: false), now: t0)
        #expect(ws.connectionEnded() == .close(send: nil, report: WebSocketClosed(code: nil, reason: "", initiatedByPeer: true)))
        #expect(ws.connectionEnded() == .none)
        #expect(ws.partial == nil)
    }
}
