import NIOCore
import NIOWebSocket

/// One WebSocket connection's protocol state (RFC 6455 §5–§7), as a value:
/// frames, writes, timer firings and the end of TCP go in, one `Action` comes
/// out, and `WebSocketHandler` performs it. No socket and no clock: the time
/// is passed in, so the rules are tested directly.
///
/// States, and what moves between them:
///
///     open ──── we close ─────────────────────────────────▶ awaitingPeerClose
///     open ──── peer's close (client) ────────────────────▶ awaitingTCPClose
///     open ──── peer's close (server), failure, idle, TCP end ─▶ closed
///     awaitingPeerClose ── peer's close (client) ─────────▶ awaitingTCPClose
///     awaitingPeerClose ── peer's close (server), timeout, idle, TCP end ─▶ closed
///     awaitingTCPClose ─── TCP end, timeout, idle ─────────▶ closed
///
/// A close frame is sent at most once, and after it nothing else is. Once a
/// close frame has been received, inbound data is ignored. `WebSocketClosed`
/// is reported exactly once, in the `Action.close` that enters `closed`.
///
/// Limits, so that no peer can make this end hold or do more than its share
/// (see `WebSocketConnection+Outbound.swift`): every frame received while
/// open costs one token of `frameRate`; at most one pong is pending, for the
/// latest ping; and the bytes handed to the channel but not yet written to
/// the socket (which the handler asks the channel for) stay under
/// `maxOutboundBytes`. A broken
/// limit is reported once (`Action.reportLimit`) and then closes.
struct WebSocketConnection {
    /// What the handler must do. One per input, so the per-frame path returns
    /// a small enum and allocates nothing.
    enum Action: Equatable {
        case none
        /// Hand a whole message to the next handler.
        case deliver(WebSocketMessage)
        /// Write and flush a control frame (a ping).
        case send(WebSocketFrame)
        /// Write and flush this pong, and call `pongWritten()` once its write
        /// completes (succeeds or fails): until then, later pings only update
        /// the pong that follows it.
        case sendPong(WebSocketFrame)
        /// Tell the next handler the peer broke a limit (a user event), then
        /// perform `limitReported(_:)`, which fails the connection unless
        /// the next handler closed it meanwhile.
        case reportLimit(WebSocketLimitExceeded)
        /// Send `frame` if any (our close frame), then wait at most `timeout`
        /// for what ends the connection: the peer's close frame, or, as a
        /// client, the server closing TCP.
        case awaitClose(send: WebSocketFrame?, timeout: TimeAmount)
        /// The connection is over: report `WebSocketClosed`, send `frame` if
        /// any, and close TCP once it is written. Stop every timer.
        case close(send: WebSocketFrame?, report: WebSocketClosed)
        /// Call `idleCheckDue(now:)` at this time.
        case scheduleIdleCheck(NIODeadline)
    }

    enum State: Equatable {
        case open
        /// We sent a close frame first; the peer's has not come yet.
        case awaitingPeerClose(WebSocketClosed)
        /// Client only: both close frames are exchanged; the server should
        /// close TCP (RFC 6455 §7.1.1), and we wait for it up to a timeout.
        case awaitingTCPClose(WebSocketClosed)
        /// TCP is closed or being closed, and the end was reported.
        case closed
    }

    // The stored state is changed only by the methods here and in
    // WebSocketConnection+Receive.swift.
    let configuration: WebSocketConfiguration
    let allocator: ByteBufferAllocator
    var state: State = .open
    /// Whether our close frame went out: after that, writes are refused.
    var closeSent = false
    /// When the last frame of any kind arrived, for `idleTimeout`.
    var lastFrameAt: NIODeadline
    /// The data message being reassembled from fragments, if any.
    var partial: PartialMessage?
    /// The peer's frame budget; nil when `maxFramesPerSecond` is nil.
    var frameRate: FrameRateLimit?
    /// Whether a `reportLimit` went out: a limit is reported once.
    var limitBroken = false
    /// The pong being written, if any, and the one to send after it.
    var pong = PendingPong.none

    init(configuration: WebSocketConfiguration, allocator: ByteBufferAllocator = ByteBufferAllocator(), now: NIODeadline) {
        self.configuration = configuration
        self.allocator = allocator
        self.lastFrameAt = now
        self.frameRate = configuration.maxFramesPerSecond.map { FrameRateLimit(perSecond: $0, now: now) }
    }

    // MARK: Starting and timers

    /// The connection is up: start the idle clock.
    mutating func start(now: NIODeadline) -> Action {
        lastFrameAt = now
        return .scheduleIdleCheck(now + configuration.idleTimeout)
    }

    /// The ping interval has passed: ping, unless closing.
    mutating func pingDue() -> Action {
        guard state == .open else { return .none }
        return .send(makeFrame(.ping, data: allocator.buffer(capacity: 0)))
    }

    /// The idle check fired: drop the peer if no frame came for
    /// `idleTimeout`, otherwise check again when it would have.
    mutating func idleCheckDue(now: NIODeadline) -> Action {
        let deadline = lastFrameAt + configuration.idleTimeout
        switch state {
        case .closed:
            return .none
        case _ where now < deadline:
            return .scheduleIdleCheck(deadline)
        case .open:
            return fail(.goingAway, reason: "idle timeout")
        case .awaitingPeerClose(let closed), .awaitingTCPClose(let closed):
            state = .closed
            return .close(send: nil, report: closed)
        }
    }

    /// `closeTimeout` passed after an `awaitClose`.
    mutating func closeTimeoutFired() -> Action {
        switch state {
        case .open, .closed:
            return .none
        case .awaitingPeerClose(let closed), .awaitingTCPClose(let closed):
            state = .closed
            return .close(send: nil, report: closed)
        }
    }

    // MARK: Writes from the application

    /// Starts the closing handshake from our side; nothing once closing.
    mutating func close(code: WebSocketCloseCode, reason: String) -> Action {
        guard state == .open else { return .none }
        let frame = makeCloseFrame(code: code, reason: reason)
        partial = nil
        closeSent = true
        let sentCode = code.isValidOnWire ? code : nil
        let sentReason = sentCode == nil ? "" : WebSocketClosePayload.truncated(reason)
        state = .awaitingPeerClose(WebSocketClosed(code: sentCode, reason: sentReason, initiatedByPeer: false))
        return .awaitClose(send: frame, timeout: configuration.closeTimeout)
    }

    // MARK: Errors and the end of TCP

    /// NIO's frame decoder refused the byte stream. It is stuck after that,
    /// so the connection is failed at once: nothing more can be read, not
    /// even the peer's close frame.
    mutating func decoderFailed(_ error: NIOWebSocketError) -> Action {
        switch error {
        case .invalidFrameLength:
            return fail(.messageTooBig, reason: "frame larger than \(configuration.maxMessageBytes) bytes")
        case .fragmentedControlFrame:
            return fail(.protocolError, reason: "fragmented control frame")
        case .multiByteControlFrameLength:
            return fail(.protocolError, reason: "control frame longer than 125 bytes")
        }
    }

    /// TCP ended (EOF, half-close, reset, or the channel closed): whatever
    /// the state, the connection is over.
    mutating func connectionEnded() -> Action { ended(byPeer: true) }

    /// The application closed the channel itself, skipping the closing
    /// handshake: the end is ours, without a code unless a close was sent.
    mutating func closedLocally() -> Action { ended(byPeer: false) }

    /// The connection is over without a closing handshake of its own; a
    /// close already under way keeps the report it had.
    private mutating func ended(byPeer: Bool) -> Action {
        switch state {
        case .closed:
            return .none
        case .open:
            partial = nil
            state = .closed
            return .close(send: nil, report: WebSocketClosed(code: nil, reason: "", initiatedByPeer: byPeer))
        case .awaitingPeerClose(let closed), .awaitingTCPClose(let closed):
            state = .closed
            return .close(send: nil, report: closed)
        }
    }

    /// The next handler has heard of `exceeded`: if it did not close the
    /// connection its own way, fail it with 1008 (policy violation).
    mutating func limitReported(_ exceeded: WebSocketLimitExceeded) -> Action {
        guard state == .open else { return .none }
        return fail(.policyViolation, reason: exceeded.description)
    }

    /// _Fail the WebSocket Connection_ (RFC 6455 §7.1.7): send a close frame
    /// with `code` if none went out yet, then close TCP without waiting for
    /// the peer's reply (its further data is not processed).
    mutating func fail(_ code: WebSocketCloseCode, reason: String) -> Action {
        partial = nil
        switch state {
        case .closed:
            return .none
        case .awaitingPeerClose(let closed), .awaitingTCPClose(let closed):
            state = .closed
            return .close(send: nil, report: closed)
        case .open:
            let frame = makeCloseFrame(code: code, reason: reason)
            closeSent = true
            state = .closed
            let closed = WebSocketClosed(
                code: code,
                reason: WebSocketClosePayload.truncated(reason),
                initiatedByPeer: false
            )
            return .close(send: frame, report: closed)
        }
    }

    // MARK: Frames

    /// A frame to send, masked with a fresh random key as a client
    /// (`encode` applies it) and unmasked as a server (RFC 6455 §5.1, §5.3).
    func makeFrame(_ opcode: WebSocketOpcode, data: ByteBuffer) -> WebSocketFrame {
        let maskKey: WebSocketMaskingKey? = configuration.role == .client ? .random() : nil
        return WebSocketFrame(fin: true, opcode: opcode, maskKey: maskKey, data: data)
    }

    func makeCloseFrame(code: WebSocketCloseCode, reason: String) -> WebSocketFrame {
        makeFrame(.connectionClose, data: WebSocketClosePayload.make(code: code, reason: reason, allocator: allocator))
    }
}
