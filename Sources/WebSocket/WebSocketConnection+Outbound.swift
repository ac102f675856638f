import NIOCore
import NIOWebSocket

/// The pong side of RFC 6455 §5.5.3: at most one pong is handed to the
/// channel at a time, and pings that arrive while it is being written only
/// set the payload of the next one. A peer that pings and never reads thus
/// makes us hold one pong in the channel and one payload here (≤ 125 bytes
/// each), not one pong per ping.
enum PendingPong: Equatable {
    /// No pong is being written.
    case none
    /// A pong is being written; `next` is the payload of the latest ping
    /// since, answered once that write completes.
    case writing(next: ByteBuffer?)
}

extension WebSocketConnection {
    /// What to do with a message the application writes.
    enum Send: Equatable {
        /// Write these bytes: one whole frame, header included.
        case write(ByteBuffer)
        /// Fail the write with `error` and drop it, then perform `then`.
        case refuse(WebSocketWriteError, then: Action)
    }

    // MARK: Application messages

    /// Frames a message for sending, or refuses it: once closing has begun,
    /// and when it would take the outbound buffer past `maxOutboundBytes`
    /// (the peer does not read), which is reported once. `buffered` is what
    /// waits in the channel now, unwritten (its bytes as on the wire). Once
    /// a limit is reported, the next handler's last words (an error message
    /// before its close) go through whatever the bound: the connection
    /// closes at once after them.
    mutating func send(_ message: WebSocketMessage, buffered: Int) -> Send {
        if let refused = refusal(size: 0, buffered: 0) { return refused }
        let frame: WebSocketFrame
        switch message {
        case .binary(let data):
            frame = makeFrame(.binary, data: data)
        case .text(let text):
            frame = makeFrame(.text, data: allocator.buffer(string: text))
        }
        let size = Self.wireSize(of: frame)
        if let refused = refusal(size: size, buffered: buffered) { return refused }
        return .write(Self.encode(frame, allocator: allocator))
    }

    /// A message framed in advance: sent as it is by a server; a client
    /// frames its payload again, masked (RFC 6455 §5.1).
    mutating func send(_ message: FramedBinaryMessage, buffered: Int) -> Send {
        guard configuration.role == .server else { return send(.binary(message.payload), buffered: buffered) }
        if let refused = refusal(size: message.wireSize, buffered: buffered) { return refused }
        return .write(message.frame)
    }

    /// Why a frame of `size` bytes may not be written now, if it may not.
    /// A message is always accepted on an empty buffer, so a bound below
    /// one message's size slows nothing down but a peer that does not read.
    private mutating func refusal(size: Int, buffered: Int) -> Send? {
        guard state == .open else {
            return .refuse(closeSent ? .closeSent : .connectionEnded, then: .none)
        }
        guard limitBroken || buffered == 0 || size <= configuration.maxOutboundBytes - buffered else {
            return .refuse(.peerTooSlow, then: report(.outboundBytes(configuration.maxOutboundBytes)))
        }
        return nil
    }

    /// `frame` as bytes on the wire, in one buffer.
    static func encode(_ frame: WebSocketFrame, allocator: ByteBufferAllocator) -> ByteBuffer {
        var bytes = allocator.buffer(capacity: Self.wireSize(of: frame))
        bytes.writeWebSocketFrame(frame)
        return bytes
    }

    /// The size of `frame` on the wire: the 2-byte header, the extended
    /// length (2 bytes from 126, 8 from 65536), the mask key if any, the
    /// payload.
    static func wireSize(of frame: WebSocketFrame) -> Int {
        WebSocketFrameHeader.size(payloadLength: frame.length, masked: frame.maskKey != nil) + frame.length
    }

    // MARK: Pongs

    /// A ping arrived while open: answer it now, or, if a pong is being
    /// written, answer only this latest one once that write completes.
    mutating func answerPing(_ payload: ByteBuffer) -> Action {
        switch pong {
        case .none:
            pong = .writing(next: nil)
            return .sendPong(makeFrame(.pong, data: payload))
        case .writing:
            pong = .writing(next: payload)
            return .none
        }
    }

    /// The pong's write completed: send the latest ping's pong if one came
    /// meanwhile and the connection is still open.
    mutating func pongWritten() -> Action {
        guard case .writing(let next?) = pong, state == .open else {
            pong = .none
            return .none
        }
        pong = .writing(next: nil)
        return .sendPong(makeFrame(.pong, data: next))
    }

    // MARK: Limits

    /// Sets or removes the frame rate limit. A new rate starts with a full
    /// burst; the same rate again changes nothing.
    mutating func setMaxFramesPerSecond(_ rate: Int?, now: NIODeadline) {
        guard let rate else {
            frameRate = nil
            return
        }
        if let current = frameRate, current.rate == Double(max(1, rate)) { return }
        frameRate = FrameRateLimit(perSecond: rate, now: now)
    }

    /// Reports `exceeded` unless a limit was reported already.
    mutating func report(_ exceeded: WebSocketLimitExceeded) -> Action {
        guard !limitBroken else { return .none }
        limitBroken = true
        return .reportLimit(exceeded)
    }
}
