import Engine
import Logging
import NIOCore
import WebSocket

/// One upgraded client: seats it through the directory, then decodes what it
/// sends and posts it to its match's inbox. Runs on the socket's event loop.
///
/// Everything a client sends has a defined answer: a message that does not
/// decode closes with `error` 2 (4002); frames faster than the rate limit
/// close with 8 (4008); a spectator's input closes with 9 (4009); text and
/// oversized messages are closed by the WebSocket layer (1003, 1009).
///
/// The rate limit is the WebSocket layer's, one per connection
/// (`WebSocketConfiguration.maxFramesPerSecond`, set by the server to
/// `maxMessagesPerSecond`): every frame counts, so a one-frame message costs
/// one as ever, and empty fragments or pings cost the same. This handler
/// raises it once the game is known and, when the layer reports it broken,
/// closes with 8 (4008). A client that does not read until more than
/// `maxOutboundBytes` wait for it is closed with 7 (4007), too slow.
final class PlayerConnection: ChannelInboundHandler {
    typealias InboundIn = WebSocketMessage
    typealias OutboundOut = WebSocketOutbound

    private let request: PlayRequest
    private let name: String
    private let account: String?
    private let directory: MatchDirectory
    private let metrics: ServerMetrics
    private var logger: Logger
    private let maxMessagesPerSecond: Int
    private let linkID: Int
    private var role: Role = .waiting
    private var closing = false
    /// Messages that arrived while the seat was being found: the welcome
    /// leaves the match's loop before this handler hears it was seated, so a
    /// quick client may already be answering it. Kept in order, bounded.
    private var early: [ByteBuffer] = []
    private var context: ChannelHandlerContext?
    /// The last input sequence this connection sent (they increase from 1).
    private var lastSequence: UInt64 = 0
    private static let maxEarlyMessages = 16

    private enum Role {
        /// Not seated yet: messages wait in `early`.
        case waiting
        case player(MatchHost, id: Int)
        case spectator(MatchHost)
        case gone
    }

    init(request: PlayRequest, name: String, account: String?, directory: MatchDirectory,
         metrics: ServerMetrics, logger: Logger, maxMessagesPerSecond: Int, linkID: Int) {
        self.request = request
        self.name = name
        self.account = account
        self.directory = directory
        self.metrics = metrics
        self.logger = logger
        self.linkID = linkID
        self.maxMessagesPerSecond = maxMessagesPerSecond
    }

    /// Once the game is known: a client may send an input, an ack and some
    /// events every tick, so a fast game raises the floor to 4 per tick.
    /// (Until then the limit is `maxMessagesPerSecond`, from the server's
    /// WebSocket configuration.)
    private func fitRateLimit(to game: GameDefinition) {
        let rate = max(maxMessagesPerSecond, 4 * game.tickRate)
        context?.triggerUserOutboundEvent(WebSocketFrameRate(perSecond: rate), promise: nil)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        let link = ClientLink(channel: context.channel, id: linkID)
        let this = NIOLoopBound(self, eventLoop: context.eventLoop)
        directory.seat(request, name: name, account: account, link: link)
            .hop(to: context.eventLoop)
            .whenComplete { result in
                let handler = this.value
                switch result {
                case .success((let host, let admitted)): handler.seated(host, admitted, link: link)
                case .failure(let error): handler.seated(nil, .refused(.close(.internalError, "could not seat: \(error)")), link: link)
                }
            }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    private func seated(_ host: MatchHost?, _ admitted: MatchSeating.Admitted, link: ClientLink) {
        let wasGone = if case .gone = role { true } else { false }
        switch (host, admitted) {
        case (let host?, .player(let id, _)):
            role = .player(host, id: id)
            fitRateLimit(to: host.game)
            logger[metadataKey: "match"] = "\(host.id)"
            logger[metadataKey: "player"] = "\(id)"
        case (let host?, .spectator):
            role = .spectator(host)
            fitRateLimit(to: host.game)
            logger[metadataKey: "match"] = "\(host.id)"
        case (_, .refused(let reason)):
            metrics.refused(refusalLabel(reason))
            logger.info("connection refused", metadata: ["reason": "\(reason.reason)"])
            role = .gone
            link.close(reason)
            return
        default:
            role = .gone
            link.close(.close(.internalError, "could not seat the connection"))
            return
        }
        // Closed while the seat was being found: hand the seat back now.
        if wasGone { return hostDisconnected() }
        let waiting = early
        early = []
        if let context { for buffer in waiting { receive(buffer, context: context) } }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .binary(let buffer) = unwrapInboundIn(data), !closing else { return }
        receive(buffer, context: context)
    }

    private func receive(_ buffer: ByteBuffer, context: ChannelHandlerContext) {
        guard !closing else { return }
        switch role {
        case .waiting:
            guard early.count < Self.maxEarlyMessages else {
                return close(context, .error(.flooding, "more than \(Self.maxEarlyMessages) messages before the welcome"), label: "flooding")
            }
            early.append(buffer)
        case .gone:
            return
        case .spectator:
            let bytes = Array(buffer.readableBytesView)
            if let type = bytes.first, type == MessageType.ack.rawValue { return }
            close(context, .error(.forbidden, "spectators cannot send inputs or events"), label: "spectator-input")
        case .player(let host, let id):
            let message: ClientMessage
            let rules = host.rules
            do {
                message = try ClientMessage.decode(Array(buffer.readableBytesView), schema: rules.game.schema)
            } catch {
                // Sent before the client read the welcome of reloaded rules: dropped, not fatal.
                if rules.tolerates(at: host.settings.clock.now()) { return }
                return close(context, .error(.malformed, "\(error)"), label: "malformed")
            }
            switch message {
            case .input(let input):
                guard input.sequence > lastSequence else {
                    return close(context, .error(.malformed, "input sequence \(input.sequence) after \(lastSequence): sequences increase"), label: "malformed")
                }
                lastSequence = input.sequence
                host.inbox.post(.input(player: id, link: linkID, rules: rules.generation, input))
            case .clientEvent(let event): host.inbox.post(.clientEvent(player: id, link: linkID, rules: rules.generation, event))
            case .ack(let ack): host.inbox.post(.ack(player: id, link: linkID, tick: ack.tick, at: host.settings.clock.now()))
            }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is WebSocketClosed { hostDisconnected() }
        switch event as? WebSocketLimitExceeded {
        case .frameRate(let rate)?:
            close(context, .error(.flooding, "more than \(rate) messages or frames per second"), label: "flooding")
        case .outboundBytes(let bytes)?:
            close(context, .error(.tooSlow, "more than \(bytes) bytes waiting: the connection does not read"), label: "too-slow")
        case nil:
            break
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        hostDisconnected()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        logger.debug("connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    private func close(_ context: ChannelHandlerContext, _ reason: Disconnect, label: String) {
        guard !closing else { return }
        closing = true
        metrics.disconnected(label)
        logger.info("closing connection", metadata: ["reason": "\(reason.reason)"])
        reason.write(to: context.channel)
        context.flush()
        hostDisconnected()
    }

    /// Tells the match (once) that this connection is gone.
    private func hostDisconnected() {
        let id = linkID
        switch role {
        case .player(let host, _), .spectator(let host):
            host.thread.execute { host.disconnected(linkID: id) }
        case .waiting, .gone:
            break
        }
        role = .gone
    }

    private func refusalLabel(_ reason: Disconnect) -> String {
        switch reason {
        case .error(.matchFull, _): "full"
        case .error(.matchOver, _): "over"
        case .error(.notFound, _): "not-found"
        case .error(.refused, _): "refused-by-game"
        case .error(.forbidden, _): "forbidden"
        default: "other"
        }
    }
}
