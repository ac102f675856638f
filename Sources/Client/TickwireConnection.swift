import NIOCore
import NIOPosix
import Protocol
import WebSocket

/// The async face of a client, for tests and bots:
///
///     let c = try await TickwireConnection.connect("ws://127.0.0.1:8080/play?game=arena", name: "ana")
///     let welcome = try await c.welcome
///     let mirror = ClientMirror(schema: welcome.schema)
///     for try await message in c.messages {
///         if case .snapshot(_, let bytes) = message { try mirror.apply(bytes) }
///     }
///
/// Messages are read with backpressure: a reader that stops reading stops the
/// socket being read after `bufferedMessages` messages, so memory stays
/// bounded. One reader at a time.
public actor TickwireConnection {
    public nonisolated let url: TickwireURL
    private let channel: any Channel
    private var iterator: Messages.Producer.AsyncIterator
    private let welcomeFuture: EventLoopFuture<Welcome>
    private let closedFuture: EventLoopFuture<WebSocketClosed>
    private var sequence: UInt64 = 0
    /// The last welcome read (`next`): after a reload of the match's rules,
    /// inputs are packed by its schema.
    private var latestWelcome: Welcome?

    /// Messages a connection holds for a slow reader before it stops reading the socket.
    public static let bufferedMessages = 256

    private init(url: TickwireURL, installed: Installed) {
        self.url = url
        channel = installed.channel
        iterator = installed.messages.makeAsyncIterator()
        welcomeFuture = installed.welcome
        closedFuture = installed.closed
    }

    private struct Installed: Sendable {
        let channel: any Channel
        let messages: Messages.Producer
        let welcome: EventLoopFuture<Welcome>
        let closed: EventLoopFuture<WebSocketClosed>
    }

    /// Connects and upgrades; returns before the welcome (await `welcome`).
    /// `name` is added to the query as `name=`. Throws `TickwireClientError`
    /// for a refused handshake, with the HTTP status and body.
    public static func connect(_ url: String, name: String? = nil, options: ClientOptions = ClientOptions(),
                               group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> TickwireConnection {
        try await connect(try TickwireURL(url), name: name, options: options, group: group)
    }

    public static func connect(_ url: TickwireURL, name: String? = nil, options: ClientOptions = ClientOptions(),
                               group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> TickwireConnection {
        let target = name.map { url.adding(query: "name", $0) } ?? url
        let loop = group.next()
        let installed = try await ClientHandshake.connect(to: target, options: options, on: loop) { channel in
            let welcome = channel.eventLoop.makePromise(of: Welcome.self)
            let closed = channel.eventLoop.makePromise(of: WebSocketClosed.self)
            let watcher = ConnectionWatcher(welcome: welcome, closed: closed)
            let demand = ReadDemand(watcher: NIOLoopBound(watcher, eventLoop: channel.eventLoop))
            let made = Messages.Producer.makeSequence(
                backPressureStrategy: .init(lowWatermark: bufferedMessages / 4, highWatermark: bufferedMessages),
                finishOnDeinit: true, delegate: demand)
            watcher.source = made.source
            try channel.pipeline.syncOperations.addHandler(watcher)
            return Installed(channel: channel, messages: made.sequence, welcome: welcome.futureResult, closed: closed.futureResult)
        }.get()
        return TickwireConnection(url: target, installed: installed)
    }

    deinit { channel.close(promise: nil) }

    /// The server's first message. Throws when the server refused the player
    /// (`serverError` says why) or the connection ended first.
    public var welcome: Welcome {
        get async throws { try await welcomeFuture.get() }
    }

    /// How the connection ended; waits for it.
    public nonisolated var closed: WebSocketClosed {
        get async { (try? await closedFuture.get()) ?? WebSocketClosed(code: nil, reason: "connection lost", initiatedByPeer: true) }
    }

    /// The next message from the server, in order; nil once the connection
    /// ended. Throws when the server sent something unreadable.
    public func next() async throws -> ServerMessage? {
        // The iterator is a handle on shared storage: a copy reads the same stream.
        var iterator = self.iterator
        defer { self.iterator = iterator }
        let message = try await iterator.next(isolation: self)
        if case .welcome(let welcome)? = message { latestWelcome = welcome }
        return message
    }

    /// The next snapshot, skipping other messages; nil once the connection ended.
    public func nextSnapshot() async throws -> (header: SnapshotHeader, bytes: [UInt8])? {
        while let message = try await next() {
            if case .snapshot(let header, let bytes) = message { return (header, bytes) }
        }
        return nil
    }

    /// Every message from the server, in order.
    public nonisolated var messages: Messages { Messages(connection: self) }

    public struct Messages: AsyncSequence, Sendable {
        public typealias Element = ServerMessage
        typealias Producer = NIOThrowingAsyncSequenceProducer<
            ServerMessage, any Error, NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark, ReadDemand>
        let connection: TickwireConnection

        public struct AsyncIterator: AsyncIteratorProtocol {
            let connection: TickwireConnection
            public mutating func next() async throws -> ServerMessage? { try await connection.next() }
        }

        public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(connection: connection) }
    }

    /// Sends an input; a zero sequence is replaced by the next of this
    /// connection (1, 2, …). Waits for the welcome, which holds the schema.
    /// Returns the sequence sent.
    @discardableResult
    public func send(input: InputMessage) async throws -> UInt64 {
        let schema = try await currentSchema()
        var input = input
        if input.sequence == 0 {
            sequence += 1
            input.sequence = sequence
        } else {
            sequence = max(sequence, input.sequence)
        }
        try await send(bytes: input.encoded(schema: schema))
        return input.sequence
    }

    /// The schema of the last welcome read (waiting for the first).
    private func currentSchema() async throws -> GameSchema {
        if let latestWelcome { return latestWelcome.schema }
        return try await welcome.schema
    }

    /// Sends input values with the next sequence number; returns it.
    @discardableResult
    public func send(input values: [Int64]) async throws -> UInt64 {
        try await send(input: InputMessage(sequence: 0, values: values))
    }

    public func send(clientEvent: ClientEventMessage) async throws {
        let schema = try await currentSchema()
        try await send(bytes: clientEvent.encoded(schema: schema))
    }

    public func send(ack: AckMessage) async throws {
        try await send(bytes: ack.encode())
    }

    /// Any bytes as one binary message: tests send garbage this way.
    public func send(bytes: [UInt8]) async throws {
        try await write(.message(.binary(ByteBuffer(bytes: bytes))))
    }

    /// A text message, which the protocol does not use.
    public func send(text: String) async throws {
        try await write(.message(.text(text)))
    }

    /// Starts the closing handshake and waits for the connection to end.
    @discardableResult
    public func close(code: WebSocketCloseCode = .normalClosure, reason: String = "") async -> WebSocketClosed {
        try? await write(.close(code, reason: reason))
        return await closed
    }

    private func write(_ outbound: WebSocketOutbound) async throws {
        try await channel.writeAndFlush(outbound).get()
    }
}

/// Between the WebSocket layer and the reader: turns messages into
/// `ServerMessage`s, holds the welcome and the end for whoever awaits them,
/// closes on a message that breaks the protocol, and stops reading the socket
/// while the reader is `bufferedMessages` behind.
private final class ConnectionWatcher: ChannelDuplexHandler {
    typealias InboundIn = WebSocketMessage
    typealias OutboundIn = WebSocketOutbound
    typealias OutboundOut = WebSocketOutbound
    let welcome: EventLoopPromise<Welcome>
    let closed: EventLoopPromise<WebSocketClosed>
    var source: TickwireConnection.Messages.Producer.Source!
    private var reader = ServerMessageReader()
    private var context: ChannelHandlerContext?
    private var producing = true
    private var readPending = false

    init(welcome: EventLoopPromise<Welcome>, closed: EventLoopPromise<WebSocketClosed>) {
        self.welcome = welcome
        self.closed = closed
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let message = unwrapInboundIn(data)
        switch reader.read(message) {
        case .welcome(let decoded):
            welcome.succeed(decoded)
            yield(.welcome(decoded))
        case .reloaded(let decoded):
            yield(.welcome(decoded))
        case .snapshot(let header):
            guard case .binary(let buffer) = message else { return }
            yield(.snapshot(header, Array(buffer.readableBytesView)))
        case .error(let error):
            if reader.welcome == nil { welcome.fail(TickwireClientError.refused(error)) }
            yield(.error(error))
        case .fail(let error, let code):
            welcome.fail(error)
            source.finish(error)
            let reason = code == ServerMessageReader.versionCloseCode ? "version" : "protocol error"
            context.writeAndFlush(wrapOutboundOut(.close(code, reason: reason)), promise: nil)
        }
    }

    private func yield(_ message: ServerMessage) {
        if source.yield(message) == .stopProducing { producing = false }
    }

    func read(context: ChannelHandlerContext) {
        if producing { context.read() } else { readPending = true }
    }

    /// The reader caught up.
    func produceMore() {
        producing = true
        if readPending, let context {
            readPending = false
            context.read()
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let ended = event as? WebSocketClosed { end(ended) }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        source.finish(TickwireClientError.transport("\(error)"))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        end(WebSocketClosed(code: nil, reason: "connection lost", initiatedByPeer: true))
        context.fireChannelInactive()
    }

    private func end(_ ended: WebSocketClosed) {
        welcome.fail(TickwireClientError.closedBeforeWelcome(ended))
        closed.succeed(ended)
        source.finish()
    }
}

/// Hands the reader's demand back to the watcher on its event loop.
struct ReadDemand: NIOAsyncSequenceProducerDelegate {
    fileprivate let watcher: NIOLoopBound<ConnectionWatcher>

    func produceMore() {
        let watcher = self.watcher
        watcher.eventLoop.execute { watcher.value.produceMore() }
    }

    func didTerminate() {}
}
