import NIOCore
import NIOWebSocket

/// A data message that arrived in fragments and is not finished yet.
struct PartialMessage {
    var isText: Bool
    /// The unmasked payload so far; never more than `maxMessageBytes`.
    var payload: ByteBuffer
    /// Text is checked as each fragment arrives, to fail fast.
    var utf8 = UTF8StreamValidator()
}

extension WebSocketConnection {
    /// One frame from NIO's decoder. The frame rules of RFC 6455 §5 are
    /// checked here, in the order a reader of the spec would expect: the
    /// frame rate (every frame while open costs one token, whatever its
    /// opcode or size), reserved bits, masking, then the opcode's own rules.
    mutating func receive(_ frame: WebSocketFrame, now: NIODeadline) -> Action {
        lastFrameAt = now
        switch state {
        case .open:
            // Over the rate, the frame is dropped unread.
            if frameRate?.admit(now: now) == false, let limit = frameRate {
                return report(.frameRate(perSecond: Int(limit.rate)))
            }
        case .awaitingPeerClose(let closed) where frame.opcode == .connectionClose:
            // Our close is answered. A server closes TCP now; a client waits
            // for the server to (RFC 6455 §7.1.1).
            return handshakeDone(closed)
        case .awaitingPeerClose, .awaitingTCPClose, .closed:
            return .none
        }

        // No extension is negotiated, so no reserved bit may be set (§5.2).
        guard frame.reservedBits.isEmpty else {
            return fail(.protocolError, reason: "reserved bits set without an extension")
        }
        // §5.1: a client masks every frame, a server none.
        switch (configuration.role, frame.maskKey) {
        case (.server, nil):
            return fail(.protocolError, reason: "unmasked frame from a client")
        case (.client, .some):
            return fail(.protocolError, reason: "masked frame from a server")
        case (.server, .some), (.client, nil):
            break
        }

        switch frame.opcode {
        case .binary, .text:
            return receiveMessageStart(frame)
        case .continuation:
            return receiveContinuation(frame)
        case .ping, .pong, .connectionClose:
            // §5.5: control frames are never fragmented and carry ≤ 125 bytes.
            // NIO's decoder checks both too, but frames may come from elsewhere.
            guard frame.fin else { return fail(.protocolError, reason: "fragmented control frame") }
            guard frame.length <= 125 else {
                return fail(.protocolError, reason: "control frame longer than 125 bytes")
            }
            let payload = unmaskedPayload(frame)
            switch frame.opcode {
            case .ping:
                return answerPing(payload)
            case .pong:
                return .none  // unsolicited or not, a pong needs no answer (§5.5.3)
            default:
                return receiveClose(payload)
            }
        default:
            return fail(.protocolError, reason: "reserved opcode \(frame.opcode)")
        }
    }

    private mutating func receiveMessageStart(_ frame: WebSocketFrame) -> Action {
        guard partial == nil else {
            return fail(.protocolError, reason: "new message before the previous one ended")
        }
        guard frame.length <= configuration.maxMessageBytes else {
            return fail(.messageTooBig, reason: "message larger than \(configuration.maxMessageBytes) bytes")
        }
        let isText = frame.opcode == .text
        if isText && !configuration.acceptsText {
            return fail(.unsupportedData, reason: "text messages are not accepted")
        }
        let payload = unmaskedPayload(frame)
        if frame.fin {
            // The common case: a whole message in one frame, handed on as is.
            guard isText else { return .deliver(.binary(payload)) }
            guard let text = String(validating: payload.readableBytesView, as: UTF8.self) else {
                return fail(.invalidPayload, reason: "text message is not UTF-8")
            }
            return .deliver(.text(text))
        }
        var message = PartialMessage(isText: isText, payload: payload)
        if isText {
            guard message.payload.withUnsafeReadableBytes({ message.utf8.validate($0) }) else {
                return fail(.invalidPayload, reason: "text message is not UTF-8")
            }
        }
        partial = message
        return .none
    }

    private mutating func receiveContinuation(_ frame: WebSocketFrame) -> Action {
        guard let sizeSoFar = partial?.payload.readableBytes else {
            return fail(.protocolError, reason: "continuation frame without a message")
        }
        // Checked before the fragment is added: never hold more than the limit.
        guard frame.length <= configuration.maxMessageBytes - sizeSoFar else {
            return fail(.messageTooBig, reason: "message larger than \(configuration.maxMessageBytes) bytes")
        }
        var fragment = unmaskedPayload(frame)
        // Mutated in place through the optional, so the buffer is not copied.
        var valid = true
        if partial!.isText {
            valid = fragment.withUnsafeReadableBytes { partial!.utf8.validate($0) }
        }
        guard valid else { return fail(.invalidPayload, reason: "text message is not UTF-8") }
        partial!.payload.writeBuffer(&fragment)
        guard frame.fin else { return .none }

        let message = partial!
        partial = nil
        guard message.isText else { return .deliver(.binary(message.payload)) }
        guard message.utf8.isAtCharacterBoundary else {
            return fail(.invalidPayload, reason: "text message ends inside a character")
        }
        return .deliver(.text(String(buffer: message.payload)))
    }

    /// The peer's close frame while open: answer with its code (1000 when it
    /// gave none) and end, or fail if the frame is malformed (§5.5.1, §7.4).
    private mutating func receiveClose(_ payload: ByteBuffer) -> Action {
        switch WebSocketClosePayload.parse(payload) {
        case .invalid(let code, let reason):
            return fail(code, reason: reason)
        case .valid(let code, let reason):
            partial = nil
            let reply = makeCloseFrame(code: code ?? .normalClosure, reason: "")
            closeSent = true
            let closed = WebSocketClosed(code: code, reason: reason, initiatedByPeer: true)
            switch configuration.role {
            case .server:
                state = .closed
                return .close(send: reply, report: closed)
            case .client:
                state = .awaitingTCPClose(closed)
                return .awaitClose(send: reply, timeout: configuration.closeTimeout)
            }
        }
    }

    /// Both close frames are exchanged after we closed first.
    private mutating func handshakeDone(_ closed: WebSocketClosed) -> Action {
        switch configuration.role {
        case .server:
            state = .closed
            return .close(send: nil, report: closed)
        case .client:
            state = .awaitingTCPClose(closed)
            return .awaitClose(send: nil, timeout: configuration.closeTimeout)
        }
    }

    /// The frame's payload with the mask removed, in place when the buffer
    /// is not shared.
    private func unmaskedPayload(_ frame: WebSocketFrame) -> ByteBuffer {
        var payload = frame.data
        if let key = frame.maskKey {
            payload.applyWebSocketMask(key)
        }
        return payload
    }
}
