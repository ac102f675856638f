import NIOCore
import Protocol
import WebSocket

/// Hears one `TickwireLink`, on the link's event loop, in the order the
/// server sent. Every method but the snapshot has a default that does nothing.
public protocol TickwireLinkDelegate: AnyObject {
    func linkDidConnect(_ link: TickwireLink)
    func link(_ link: TickwireLink, didReceive welcome: Welcome)
    /// The match's rules were reloaded: `welcome` holds the new schemas
    /// (`link.welcome` and `link.mirror` already use them).
    func link(_ link: TickwireLink, didReload welcome: Welcome)
    /// `message` is the whole snapshot; `link.mirror` has applied it already
    /// when the link decodes state.
    func link(_ link: TickwireLink, didReceiveSnapshot header: SnapshotHeader, message: ByteBuffer)
    /// The server is about to close.
    func link(_ link: TickwireLink, didReceive error: ErrorMessage)
    /// The link could not connect, or the server sent what it cannot read
    /// (the link then closes).
    func link(_ link: TickwireLink, didFail error: TickwireClientError)
    /// The connection ended; called once, last.
    func link(_ link: TickwireLink, didClose closed: WebSocketClosed)
}

extension TickwireLinkDelegate {
    public func linkDidConnect(_ link: TickwireLink) {}
    public func link(_ link: TickwireLink, didReceive welcome: Welcome) {}
    public func link(_ link: TickwireLink, didReload welcome: Welcome) {}
    public func link(_ link: TickwireLink, didReceive error: ErrorMessage) {}
    public func link(_ link: TickwireLink, didFail error: TickwireClientError) {}
    public func link(_ link: TickwireLink, didClose closed: WebSocketClosed) {}
}

/// The callback face of a client, for load generation: everything runs on
/// one event loop, with no task or actor hop per message, and a snapshot is
/// read only as far as its header unless `decodesState` asks for a
/// `ClientMirror`. Many links may share a loop; give every link of a match
/// the same loop and their delegate may share unsynchronized state (a
/// `BotBrain`).
///
/// A link is confined to its loop: create it, call it and read it there.
public final class TickwireLink {
    public let url: TickwireURL
    public let eventLoop: any EventLoop
    /// A number of the caller's, to tell links apart in a shared delegate.
    public var tag: Int
    public private(set) var welcome: Welcome?
    /// The live state, when the link decodes state; nil before the welcome.
    public private(set) var mirror: ClientMirror?
    public private(set) var lastSnapshot: SnapshotHeader?
    /// Set once the connection ended.
    public private(set) var closed: WebSocketClosed?
    /// Sequence of the last input sent (0: none yet).
    public private(set) var inputSequence: UInt64 = 0
    /// Bytes of every server message received, headers included.
    public private(set) var bytesReceived = 0
    /// Bytes of every binary message sent (inputs, client events, acks),
    /// without WebSocket framing.
    public private(set) var bytesSent = 0
    public var isOpen: Bool { context != nil && closed == nil }

    private let options: ClientOptions
    private let decodesState: Bool
    private var delegate: (any TickwireLinkDelegate)?
    private var reader = ServerMessageReader()
    fileprivate var context: ChannelHandlerContext?

    public init(url: TickwireURL, options: ClientOptions = ClientOptions(), on eventLoop: any EventLoop,
                decodesState: Bool = false, tag: Int = 0, delegate: any TickwireLinkDelegate) {
        self.url = url
        self.options = options
        self.eventLoop = eventLoop
        self.decodesState = decodesState
        self.tag = tag
        self.delegate = delegate
    }

    /// Opens the connection; the delegate hears `linkDidConnect` after the
    /// upgrade, or `didFail` then `didClose` if it fails. Call on the loop.
    public func connect() {
        eventLoop.preconditionInEventLoop()
        let loop = eventLoop
        let me = NIOLoopBound(self, eventLoop: loop)
        ClientHandshake.connect(to: url, options: options, on: loop) { channel in
            try channel.pipeline.syncOperations.addHandler(LinkHandler(link: me.value))
        }.whenComplete { result in
            let link = me.value
            switch result {
            case .success: link.delegate?.linkDidConnect(link)
            case .failure(let error):
                link.fail(ClientHandshake.clientError(error))
                link.finish(WebSocketClosed(code: nil, reason: "no connection", initiatedByPeer: false))
            }
        }
    }

    /// Sends this tick's controls with the next sequence number; returns it.
    /// Needs the welcome (the input schema); before it, sends nothing and returns 0.
    @discardableResult
    public func send(input values: [Int64]) -> UInt64 {
        // Values made for other rules (before a reload) are not sent.
        guard let schema = welcome?.schema, schema.accepts(input: values) else { return 0 }
        inputSequence += 1
        send(bytes: InputMessage(sequence: inputSequence, values: values).encode(schema: schema))
        return inputSequence
    }

    func sendPacked(_ input: PackedInput) -> UInt64 {
        eventLoop.preconditionInEventLoop()
        guard let context, closed == nil else { return 0 }
        inputSequence += 1
        var buffer = context.channel.allocator.buffer(capacity: 11 + input.fields.count)
        input.write(sequence: inputSequence, into: &buffer)
        bytesSent += buffer.readableBytes
        context.writeAndFlush(NIOAny(WebSocketOutbound.message(.binary(buffer))), promise: nil)
        return inputSequence
    }

    /// Sends a client event; returns false, sending nothing, before the
    /// welcome or when the event does not fit the match's client events
    /// (made for other rules, before a reload).
    @discardableResult
    public func send(clientEvent: ClientEventMessage) -> Bool {
        guard let schema = welcome?.schema, schema.accepts(clientEvent: clientEvent),
              let bytes = try? clientEvent.encoded(schema: schema) else { return false }
        send(bytes: bytes)
        return true
    }

    public func send(ack tick: Int) {
        send(bytes: AckMessage(tick: tick).encode())
    }

    /// Any bytes, as one binary message.
    public func send(bytes: [UInt8]) {
        eventLoop.preconditionInEventLoop()
        guard let context, closed == nil else { return }
        var buffer = context.channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        bytesSent += bytes.count
        context.writeAndFlush(NIOAny(WebSocketOutbound.message(.binary(buffer))), promise: nil)
    }

    public func send(text: String) {
        eventLoop.preconditionInEventLoop()
        guard let context, closed == nil else { return }
        context.writeAndFlush(NIOAny(WebSocketOutbound.message(.text(text))), promise: nil)
    }

    /// Starts the closing handshake; the delegate hears `didClose` when it ends.
    public func close(code: WebSocketCloseCode = .normalClosure, reason: String = "") {
        eventLoop.preconditionInEventLoop()
        guard let context, closed == nil else { return }
        context.writeAndFlush(NIOAny(WebSocketOutbound.close(code, reason: reason)), promise: nil)
    }

    fileprivate func received(_ message: WebSocketMessage) {
        if case .binary(let buffer) = message { bytesReceived += buffer.readableBytes }
        switch reader.read(message) {
        case .welcome(let welcome):
            self.welcome = welcome
            if decodesState { mirror = ClientMirror(schema: welcome.schema) }
            delegate?.link(self, didReceive: welcome)
        case .reloaded(let welcome):
            self.welcome = welcome
            if decodesState { mirror = ClientMirror(schema: welcome.schema) }
            delegate?.link(self, didReload: welcome)
        case .snapshot(let header):
            guard case .binary(let buffer) = message else { return }
            lastSnapshot = header
            if let mirror {
                do { try mirror.apply(Array(buffer.readableBytesView)) } catch {
                    fail(.malformed(error))
                    close(code: .protocolError, reason: error.code == .baseline ? "baseline" : "malformed snapshot")
                    return
                }
            }
            delegate?.link(self, didReceiveSnapshot: header, message: buffer)
        case .error(let error):
            delegate?.link(self, didReceive: error)
        case .fail(let error, let code):
            fail(error)
            close(code: code, reason: code == ServerMessageReader.versionCloseCode ? "version" : "protocol error")
        }
    }

    fileprivate func fail(_ error: TickwireClientError) {
        delegate?.link(self, didFail: error)
    }

    fileprivate func finish(_ closed: WebSocketClosed) {
        guard self.closed == nil else { return }
        self.closed = closed
        context = nil
        let delegate = self.delegate
        self.delegate = nil   // the delegate often holds its links: break the cycle
        delegate?.link(self, didClose: closed)
    }
}

/// The link's end of the pipeline, after the WebSocket layer.
private final class LinkHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketMessage
    let link: TickwireLink

    init(link: TickwireLink) { self.link = link }

    func handlerAdded(context: ChannelHandlerContext) { link.context = context }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        link.received(unwrapInboundIn(data))
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let closed = event as? WebSocketClosed { link.finish(closed) }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        link.fail(.transport("\(error)"))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        // The WebSocket layer reports how the connection ended; this covers a
        // channel that died without a word.
        link.finish(WebSocketClosed(code: nil, reason: "connection lost", initiatedByPeer: true))
        context.fireChannelInactive()
    }
}
