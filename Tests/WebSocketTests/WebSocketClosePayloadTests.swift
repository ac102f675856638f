import NIOCore
import Testing

@testable import WebSocket

@Suite struct WebSocketClosePayloadTests {
    @Test func roundTrip() {
        let body = WebSocketClosePayload.make(code: .policyViolation, reason: "no cheating", allocator: .init())
        #expect(WebSocketClosePayload.parse(body) == .valid(code: .policyViolation, reason: "no cheating"))
    }

    @Test func malformedBodies() {
        #expect(WebSocketClosePayload.parse(ByteBuffer()) == .valid(code: nil, reason: ""))
        #expect(WebSocketClosePayload.parse(ByteBuffer(bytes: [3])) == .invalid(.protocolError, reason: "close frame body of one byte"))
        if case .invalid(let code, _) = WebSocketClosePayload.parse(ByteBuffer(bytes: [0x03, 0xED])) {
            #expect(code == .protocolError)  // 1005
        } else {
            Issue.record("1005 accepted")
        }
        if case .invalid(let code, _) = WebSocketClosePayload.parse(ByteBuffer(bytes: [0x03, 0xE8, 0xC0])) {
            #expect(code == .invalidPayload)
        } else {
            Issue.record("bad reason accepted")
        }
    }

    @Test func truncationKeepsWholeCharacters() {
        #expect(WebSocketClosePayload.truncated("short") == "short")
        let exact = String(repeating: "x", count: 123)
        #expect(WebSocketClosePayload.truncated(exact) == exact)
        let euros = String(repeating: "€", count: 50)  // 150 bytes, 3 each
        let cut = WebSocketClosePayload.truncated(euros)
        #expect(cut == String(repeating: "€", count: 41))
        #expect(cut.utf8.count == 123)
        let emoji = String(repeating: "b", count: 121) + "😀"  // the emoji straddles byte 123
        #expect(WebSocketClosePayload.truncated(emoji) == String(repeating: "b", count: 121))
    }
}
