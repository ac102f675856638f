import NIOCore
import NIOWebSocket

/// RFC 6455 on top of NIO's frame decoder. Sits right after
/// `WebSocketFrameDecoder` (see `WebSocketPipeline`) and writes frames
/// itself: each leaves as one `ByteBuffer`, header and payload together,
/// and a server's `FramedBinaryMessage` leaves as it came.
///
/// The next handler reads whole `WebSocketMessage`s, writes
/// `WebSocketOutbound` values, and gets one `WebSocketClosed` user event when
/// the connection has ended. Everything else — fragments, masks, pings,
/// UTF-8, size limits, the closing handshake, heartbeats — is handled here.
///
/// The rules live in `WebSocketConnection`; this class only feeds it events
/// and performs the `Action` it returns.
///
/// NIO's decoder reports malformed frames through `errorCaught` as
/// `NIOWebSocketError`; this handler turns those into close frames, so no
/// `WebSocketProtocolErrorHandler` may be in the pipeline (the upgraders of
/// `WebSocketPipeline` add none).
///
/// Flushes pass through: write messages, then flush, as with any handler.
/// Control frames we send (pongs, pings, close) are flushed at once.
///
/// Before each message it asks the channel how many bytes wait unwritten
/// (`maxOutboundBytes`), so messages need no promise of their own; a pong
/// is written with one, to know when the one pending pong is out. A peer
/// over a limit is reported with a
/// `WebSocketLimitExceeded` user event; `WebSocketFrameRate`, an outbound
/// user event, changes the frame rate limit.
public final class WebSocketHandler: ChannelDuplexHandler {
    public typealias InboundIn = WebSocketFrame
    public typealias InboundOut = WebSocketMessage
    public typealias OutboundIn = WebSocketOutbound
    public typealias OutboundOut = ByteBuffer

    private let configuration: WebSocketConfiguration
    private var connection: WebSocketConnection?
    private var pingTask: Scheduled<Void>?
    private var idleTask: Scheduled<Void>?
    private var closeTask: Scheduled<Void>?

    public init(configuration: WebSocketConfiguration) {
        precondition(configuration.maxMessageBytes > 0, "maxMessageBytes must be positive")
        self.configuration = configuration
    }

    // MARK: Lifecycle

    public func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive {
            start(context: context)
        }
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimers()
    }

    public func channelActive(context: ChannelHandlerContext) {
        start(context: context)
        context.fireChannelActive()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        endOfTCP(context: context)
        context.fireChannelInactive()
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            // The peer half-closed: nothing more can arrive, so it is over.
            endOfTCP(context: context)
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func start(context: ChannelHandlerContext) {
        guard connection == nil else { return }
        let now = context.eventLoop.now
        var connection = WebSocketConnection(configuration: configuration, allocator: context.channel.allocator, now: now)
        let action = connection.start(now: now)
        self.connection = connection
        perform(action, context: context)
        schedulePing(context: context)
    }

    private func endOfTCP(context: ChannelHandlerContext) {
        guard connection != nil else { return }
        perform(connection!.connectionEnded(), context: context)
    }

    // MARK: Inbound

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard connection != nil else { return }
        let frame = unwrapInboundIn(data)
        perform(connection!.receive(frame, now: context.eventLoop.now), context: context)
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? NIOWebSocketError, connection != nil {
            perform(connection!.decoderFailed(error), context: context)
            return
        }
        if let error = error as? ByteToMessageDecoderError,
            case .dataReceivedInErrorState = error
        {
            // Bytes after a decoder error: the connection was failed already.
            return
        }
        context.fireErrorCaught(error)
    }

    // MARK: Outbound

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard connection != nil else {
            promise?.fail(WebSocketWriteError.connectionEnded)
            return
        }
        let send: WebSocketConnection.Send
        switch unwrapOutboundIn(data) {
        case .message(let message):
            send = connection!.send(message, buffered: bufferedBytes(context))
        case .framed(let message):
            send = connection!.send(message, buffered: bufferedBytes(context))
        case .close(let code, let reason):
            return perform(connection!.close(code: code, reason: reason), context: context, promise: promise)
        }
        switch send {
        case .write(let bytes):
            context.write(wrapOutboundOut(bytes), promise: promise)
        case .refuse(let error, let then):
            promise?.fail(error)
            perform(then, context: context)
        }
    }

    /// Bytes handed to the channel and not yet written to the socket (this
    /// handler is the last before the channel's head).
    private func bufferedBytes(_ context: ChannelHandlerContext) -> Int {
        (try? context.channel.syncOptions?.getOption(.bufferedWritableBytes)) ?? 0
    }

    public func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard let change = event as? WebSocketFrameRate else {
            return context.triggerUserOutboundEvent(event, promise: promise)
        }
        connection?.setMaxFramesPerSecond(change.perSecond, now: context.eventLoop.now)
        promise?.succeed()
    }

    /// A close from the application (or `channel.close()`) skips the closing
    /// handshake: TCP closes at once and `WebSocketClosed` says the end was
    /// ours. To close properly, write `WebSocketOutbound.close` instead.
    public func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        if mode == .all, connection != nil, case .close(_, let report) = connection!.closedLocally() {
            cancelTimers()
            context.fireUserInboundEventTriggered(report)
        }
        context.close(mode: mode, promise: promise)
    }

    // MARK: Performing actions

    /// Carries out one action. `promise`, if given, completes when the frame
    /// the action sends is written (or at once if it sends none).
    private func perform(
        _ action: WebSocketConnection.Action,
        context: ChannelHandlerContext,
        promise: EventLoopPromise<Void>? = nil
    ) {
        switch action {
        case .none:
            promise?.succeed()
        case .deliver(let message):
            context.fireChannelRead(wrapInboundOut(message))
        case .send(let frame):
            write(frame, flush: true, context: context, promise: promise)
        case .sendPong(let frame):
            let written = write(frame, flush: true, context: context, promise: promise)
            written.assumeIsolated().whenComplete { [self] _ in
                guard connection != nil else { return }
                perform(connection!.pongWritten(), context: context)
            }
        case .reportLimit(let exceeded):
            promise?.succeed()
            context.fireUserInboundEventTriggered(exceeded)
            guard connection != nil else { return }
            perform(connection!.limitReported(exceeded), context: context)
        case .awaitClose(let frame, let timeout):
            if let frame {
                write(frame, flush: true, context: context, promise: promise)
            } else {
                promise?.succeed()
            }
            scheduleCloseTimeout(in: timeout, context: context)
        case .close(let frame, let report):
            cancelTimers()
            context.fireUserInboundEventTriggered(report)
            guard let frame else {
                promise?.succeed()
                context.close(promise: nil)
                return
            }
            let written = write(frame, flush: true, context: context, promise: promise)
            // Close once the close frame is out, but not later than
            // closeTimeout if the peer has stopped reading. (Through the
            // channel: this handler may be gone from the pipeline by then.)
            let channel = context.channel
            let forceClose = context.eventLoop.scheduleTask(in: configuration.closeTimeout) {
                channel.close(promise: nil)
            }
            written.assumeIsolated().whenComplete { _ in
                forceClose.cancel()
                context.close(promise: nil)
            }
        case .scheduleIdleCheck(let deadline):
            idleTask?.cancel()
            idleTask = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
                idleTask = nil
                guard connection != nil else { return }
                perform(connection!.idleCheckDue(now: context.eventLoop.now), context: context)
            }
        }
    }

    /// Writes `frame` (and flushes if asked). Returns the write's future.
    @discardableResult
    private func write(
        _ frame: WebSocketFrame,
        flush: Bool,
        context: ChannelHandlerContext,
        promise: EventLoopPromise<Void>?
    ) -> EventLoopFuture<Void> {
        let bytes = wrapOutboundOut(WebSocketConnection.encode(frame, allocator: context.channel.allocator))
        let promise = promise ?? context.eventLoop.makePromise()
        if flush {
            context.writeAndFlush(bytes, promise: promise)
        } else {
            context.write(bytes, promise: promise)
        }
        return promise.futureResult
    }

    private func schedulePing(context: ChannelHandlerContext) {
        guard let interval = configuration.pingInterval else { return }
        pingTask = context.eventLoop.assumeIsolated().scheduleTask(in: interval) { [self] in
            pingTask = nil
            guard connection != nil else { return }
            let action = connection!.pingDue()
            guard action != .none else { return }
            perform(action, context: context)
            schedulePing(context: context)
        }
    }

    private func scheduleCloseTimeout(in timeout: TimeAmount, context: ChannelHandlerContext) {
        closeTask?.cancel()
        closeTask = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
            closeTask = nil
            guard connection != nil else { return }
            perform(connection!.closeTimeoutFired(), context: context)
        }
    }

    private func cancelTimers() {
        pingTask?.cancel()
        idleTask?.cancel()
        closeTask?.cancel()
        pingTask = nil
        idleTask = nil
        closeTask = nil
    }
}

@available(*, unavailable)
extension WebSocketHandler: Sendable {}
