import NIOCore
import NIOWebSocket
import Testing

@testable import WebSocket

/// The frame rules of RFC 6455 §5, on the state machine alone.
@Suite struct WebSocketConnectionReceiveTests {
    let peer = Peer.client

    @Test func singleFrameBinaryIsDeliveredUnmasked() {
        var ws = connection()
        let action = ws.receive(peer.frame(.binary, [1, 2, 3, 250]), now: t0)
        #expect(action == .deliver(.binary(ByteBuffer(bytes: [1, 2, 3, 250]))))
    }

    @Test func singleFrameTextIsDelivered() {
        var ws = connection()
        #expect(ws.receive(peer.text("héllo ✓"), now: t0) == .deliver(.text("héllo ✓")))
    }

    @Test func textIsRefusedWith1003WhenNotAccepted() {
        var ws = connection(acceptsText: false)
        let action = ws.receive(peer.text("hi"), now: t0)
        #expect(action.sentCloseCode == 1003)
        #expect(action.isFailure)
        #expect(ws.state == .closed)
        // The first fragment of a text message is enough.
        var fragmented = connection(acceptsText: false)
        #expect(fragmented.receive(peer.text("h", fin: false), now: t0).sentCloseCode == 1003)
    }

    @Test(arguments: [(true, false, false), (false, true, false), (false, false, true), (true, true, true)])
    func reservedBitsFailWith1002(rsv: (Bool, Bool, Bool)) {
        for opcode in [WebSocketOpcode.binary, .text, .ping, .connectionClose] {
            var ws = connection()
            let frame = peer.frame(opcode, [], rsv1: rsv.0, rsv2: rsv.1, rsv3: rsv.2)
            let action = ws.receive(frame, now: t0)
            #expect(action.sentCloseCode == 1002, "\(opcode) \(rsv)")
        }
    }

    @Test(arguments: [3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF] as [UInt8])
    func reservedOpcodesFailWith1002(opcode: UInt8) {
        var ws = connection()
        let action = ws.receive(peer.frame(WebSocketOpcode(encodedWebSocketOpcode: opcode)!, [1]), now: t0)
        #expect(action.sentCloseCode == 1002)
    }

    @Test func fragmentsAreReassembled() {
        var ws = connection()
        #expect(ws.receive(peer.frame(.binary, [1, 2], fin: false), now: t0) == .none)
        #expect(ws.receive(peer.frame(.continuation, [3], fin: false), now: t0) == .none)
        #expect(ws.receive(peer.frame(.continuation, [], fin: false), now: t0) == .none)
        #expect(ws.receive(peer.frame(.continuation, [4, 5]), now: t0) == .deliver(.binary(ByteBuffer(bytes: [1, 2, 3, 4, 5]))))
        // And the next message starts fresh.
        #expect(ws.receive(peer.frame(.binary, [9]), now: t0) == .deliver(.binary(ByteBuffer(bytes: [9]))))
    }

    @Test func continuationWithoutAMessageFailsWith1002() {
        var ws = connection()
        #expect(ws.receive(peer.frame(.continuation, [1]), now: t0).sentCloseCode == 1002)
        var afterFinished = connection()
        _ = afterFinished.receive(peer.frame(.binary, [1]), now: t0)
        #expect(afterFinished.receive(peer.frame(.continuation, [2], fin: false), now: t0).sentCloseCode == 1002)
    }

    @Test func newDataFrameWhileAMessageIsOpenFailsWith1002() {
        for opcode in [WebSocketOpcode.binary, .text] {
            var ws = connection()
            _ = ws.receive(peer.frame(.binary, [1], fin: false), now: t0)
            #expect(ws.receive(peer.frame(opcode, [2]), now: t0).sentCloseCode == 1002)
        }
    }

    @Test func controlFramesMayInterleaveWithFragments() {
        var ws = connection()
        _ = ws.receive(peer.text("ab", fin: false), now: t0)
        let pong = ws.receive(peer.frame(.ping, [7, 7]), now: t0)
        guard case .sendPong(let frame) = pong else {
            Issue.record("expected a pong, got \(pong)")
            return
        }
        #expect(frame.opcode == .pong)
        #expect(frame.data == ByteBuffer(bytes: [7, 7]))
        #expect(ws.receive(peer.frame(.pong, [1]), now: t0) == .none)
        #expect(ws.receive(peer.frame(.continuation, Array("cd".utf8)), now: t0) == .deliver(.text("abcd")))
    }

    @Test func pingIsAnsweredWithTheSamePayloadAndPongIsIgnored() {
        var ws = connection()
        let payload = (0..<125).map { UInt8($0) }
        guard case .sendPong(let pong) = ws.receive(peer.frame(.ping, payload), now: t0) else {
            Issue.record("no pong")
            return
        }
        #expect(pong.opcode == .pong && pong.fin && pong.maskKey == nil)
        #expect(pong.data == ByteBuffer(bytes: payload))
        #expect(ws.receive(peer.frame(.pong, [1, 2, 3]), now: t0) == .none)
        #expect(ws.state == .open)
    }

    @Test func controlFramesMustBeFinalAndShort() {
        for opcode in [WebSocketOpcode.ping, .pong, .connectionClose] {
            var fragmented = connection()
            #expect(fragmented.receive(peer.frame(opcode, [], fin: false), now: t0).sentCloseCode == 1002)
            var long = connection()
            #expect(long.receive(peer.frame(opcode, Array(repeating: 0x41, count: 126)), now: t0).sentCloseCode == 1002)
        }
    }

    // MARK: Masking

    @Test func serverRequiresMaskedFrames() {
        var ws = connection(.server)
        #expect(ws.receive(Peer.server.frame(.binary, [1]), now: t0).sentCloseCode == 1002)
    }

    @Test func clientRequiresUnmaskedFrames() {
        var ws = connection(.client)
        let failure = ws.receive(Peer.client.frame(.binary, [1]), now: t0)
        #expect(failure.sentCloseCode == 1002)
        var ok = connection(.client)
        #expect(ok.receive(Peer.server.frame(.binary, [1]), now: t0) == .deliver(.binary(ByteBuffer(bytes: [1]))))
    }

    // MARK: Size limit

    @Test func singleFrameAtTheLimitIsAcceptedAndOneMoreIsNot() {
        var ws = connection(maxMessageBytes: 100)
        let atLimit = ws.receive(peer.frame(.binary, Array(repeating: 1, count: 100)), now: t0)
        #expect(atLimit.deliveredMessage != nil)
        let over = ws.receive(peer.frame(.binary, Array(repeating: 1, count: 101)), now: t0)
        #expect(over.sentCloseCode == 1009)
    }

    @Test func reassembledMessageAtTheLimitIsAcceptedAndOneMoreIsNot() {
        var ws = connection(maxMessageBytes: 100)
        _ = ws.receive(peer.frame(.binary, Array(repeating: 1, count: 60), fin: false), now: t0)
        let atLimit = ws.receive(peer.frame(.continuation, Array(repeating: 2, count: 40)), now: t0)
        #expect(atLimit.deliveredMessage.map { if case .binary(let b) = $0 { b.readableBytes } else { 0 } } == 100)

        var over = connection(maxMessageBytes: 100)
        _ = over.receive(peer.frame(.binary, Array(repeating: 1, count: 60), fin: false), now: t0)
        _ = over.receive(peer.frame(.continuation, Array(repeating: 2, count: 30), fin: false), now: t0)
        #expect(over.partial?.payload.readableBytes == 90)
        let action = over.receive(peer.frame(.continuation, Array(repeating: 3, count: 11), fin: false), now: t0)
        #expect(action.sentCloseCode == 1009)
        // Nothing beyond the limit was held, and the partial message is gone.
        #expect(over.partial == nil)
    }

    // MARK: UTF-8

    @Test func invalidUTF8TextFailsWith1007() {
        var ws = connection()
        #expect(ws.receive(peer.frame(.text, [0x68, 0xC0, 0xAF]), now: t0).sentCloseCode == 1007)
        var surrogate = connection()
        #expect(surrogate.receive(peer.frame(.text, [0xED, 0xA0, 0x80]), now: t0).sentCloseCode == 1007)
    }

    @Test func characterSplitAcrossFragmentsIsAccepted() {
        // "κόσμε" with each of its two-byte characters cut in half, and a
        // four-byte character cut after each of its bytes.
        let bytes = Array("κόσμε😀".utf8)
        var ws = connection()
        _ = ws.receive(peer.frame(.text, [bytes[0]], fin: false), now: t0)
        var last: WebSocketConnection.Action = .none
        for (index, byte) in bytes.dropFirst().enumerated() {
            last = ws.receive(peer.frame(.continuation, [byte], fin: index == bytes.count - 2), now: t0)
        }
        #expect(last == .deliver(.text("κόσμε😀")))
    }

    @Test func invalidUTF8FailsFastInTheFragmentThatHasIt() {
        var ws = connection()
        #expect(ws.receive(peer.text("valid ", fin: false), now: t0) == .none)
        let action = ws.receive(peer.frame(.continuation, [0xCE, 0xBA, 0xF4, 0x90], fin: false), now: t0)
        #expect(action.sentCloseCode == 1007)
        // Even when the bad byte is the first of a later fragment.
        var split = connection()
        _ = split.receive(peer.frame(.text, [0xE2, 0x82], fin: false), now: t0)
        #expect(split.receive(peer.frame(.continuation, [0x41], fin: false), now: t0).sentCloseCode == 1007)
    }

    @Test func textEndingInsideACharacterFailsWith1007() {
        var ws = connection()
        _ = ws.receive(peer.text("ok", fin: false), now: t0)
        #expect(ws.receive(peer.frame(.continuation, [0xE2, 0x82]), now: t0).sentCloseCode == 1007)
    }

    // MARK: After the end

    @Test func framesAfterAFailureAreIgnored() {
        var ws = connection()
        _ = ws.receive(peer.frame(.continuation, [1]), now: t0)
        #expect(ws.receive(peer.frame(.binary, [1]), now: t0) == .none)
        #expect(ws.receive(peer.frame(.ping, [1]), now: t0) == .none)
        #expect(ws.receive(peer.close(code: 1000), now: t0) == .none)
    }
}
