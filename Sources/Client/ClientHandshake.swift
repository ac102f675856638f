#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket
import Protocol
import WebSocket

/// Opens a socket to a Tickwire server and upgrades it to a WebSocket:
///
///     [TLS] → HTTP/1.1 GET url.target, Upgrade: websocket,
///             Sec-WebSocket-Protocol: tickwire.2[, tickwire.jwt.<token>]
///     101 with tickwire.2 → WebSocket frame decoder → WebSocketHandler(.client) → install(channel)
///     anything else       → HTTPRefusalReader → TickwireClientError(status, body)
///
/// Both client faces (`TickwireLink`, `TickwireConnection`) come through here;
/// they differ only in the handlers `install` adds after the WebSocket layer.
enum ClientHandshake {
    /// At most this much of a refusal's body is kept for the error.
    static let maxRefusalBody = 4096

    /// Connects on `loop`. The future succeeds with what `install` returned
    /// once the upgrade is done, and fails with a `TickwireClientError` for
    /// every way the handshake can go wrong. `install` runs on the loop.
    static func connect<Installed: Sendable>(
        to url: TickwireURL, options: ClientOptions, on loop: any EventLoop,
        install: @escaping @Sendable (any Channel) throws -> Installed
    ) -> EventLoopFuture<Installed> {
        let done = loop.makePromise(of: Installed.self)
        let bootstrap: ClientBootstrap
        do {
            bootstrap = try Self.bootstrap(to: url, options: options, on: loop) { channel in
                try addHandshake(to: channel, url: url, options: options, done: done, install: install)
            }
        } catch {
            done.fail(error)
            return done.futureResult
        }
        bootstrap.connect(host: url.host, port: url.port).whenFailure { error in
            done.fail(TickwireClientError.connection("cannot connect to \(url.hostHeader): \(describe(connectError: error))"))
        }
        return done.futureResult
    }

    /// A bootstrap for `url` on `loop`: the connect timeout, no Nagle, TLS
    /// first when the URL is `wss`, then what `handlers` adds. Throws when
    /// the TLS settings do not make a context.
    static func bootstrap(to url: TickwireURL, options: ClientOptions, on loop: any EventLoop,
                          handlers: @escaping @Sendable (any Channel) throws -> Void) throws -> ClientBootstrap {
        let tls = url.isSecure ? try options.trust.context() : nil
        return ClientBootstrap(group: loop)
            .connectTimeout(options.connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(
                            try NIOSSLClientHandler(context: tls, serverHostname: url.hostIsAddress ? nil : url.host))
                    }
                    try handlers(channel)
                }
            }
    }

    private enum Upgrade<Installed: Sendable>: Sendable {
        case upgraded(Installed)
        case refused
    }

    private static func addHandshake<Installed: Sendable>(
        to channel: any Channel, url: TickwireURL, options: ClientOptions,
        done: EventLoopPromise<Installed>, install: @escaping @Sendable (any Channel) throws -> Installed
    ) throws {
        let pipeline = channel.pipeline.syncOperations
        let encoder = HTTPRequestEncoder()
        let decoder = ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .forwardBytes))
        try pipeline.addHandler(encoder)
        try pipeline.addHandler(decoder)

        var headers = HTTPHeaders()
        headers.add(name: "Host", value: url.hostHeader)
        headers.add(name: "Sec-WebSocket-Protocol", value: options.subprotocols.joined(separator: ", "))
        headers.add(name: "Content-Length", value: "0")
        for header in options.headers { headers.add(name: header.name, value: header.value) }
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: url.target, headers: headers)

        let watcher = HandshakeWatcher(done: done)
        let webSocket = WebSocketConfiguration(role: .client, maxMessageBytes: options.maxMessageBytes,
                                               pingInterval: options.pingInterval, idleTimeout: options.idleTimeout)
        let upgrader = WebSocketPipeline.clientUpgrader(configuration: webSocket) { channel, response -> EventLoopFuture<Upgrade<Installed>> in
            channel.eventLoop.makeCompletedFuture {
                let chosen = response.headers["Sec-WebSocket-Protocol"].first?.trimmingSpaces
                guard chosen == ProtocolVersion.subprotocol else { throw TickwireClientError.subprotocol(chosen) }
                let pipeline = channel.pipeline.syncOperations
                pipeline.removeHandler(watcher, promise: nil)
                try WebSocketPipeline.addWebSocketHandler(configuration: webSocket, to: pipeline)
                return .upgraded(try install(channel))
            }
        }
        let configuration = NIOTypedHTTPClientUpgradeConfiguration<Upgrade<Installed>>(
            upgradeRequestHead: head, upgraders: [upgrader]
        ) { channel in
            channel.eventLoop.makeCompletedFuture {
                let pipeline = channel.pipeline.syncOperations
                pipeline.removeHandler(watcher, promise: nil)
                try pipeline.addHandler(HTTPRefusalReader(done: done))
                return .refused
            }
        }
        let upgrade = NIOTypedHTTPClientUpgradeHandler(httpHandlers: [encoder, decoder], upgradeConfiguration: configuration)
        try pipeline.addHandler(upgrade)
        try pipeline.addHandler(watcher)
        upgrade.upgradeResultFuture.whenComplete { result in
            switch result {
            case .success(.upgraded(let installed)): done.succeed(installed)
            case .success(.refused): break   // HTTPRefusalReader completes `done`
            case .failure(let error):
                // A connect that failed also fails the upgrade, with a bare
                // channel error; the connect's own failure names the address.
                if channel.isActive || !(error is ChannelError) { done.fail(clientError(error)) }
                channel.close(promise: nil)
            }
        }
    }

    /// "Connection refused" rather than NIO's nested description of every attempt.
    static func describe(connectError error: any Error) -> String {
        var error = error
        if let attempts = error as? NIOConnectionError, let last = attempts.connectionErrors.last { error = last.error }
        if let io = error as? IOError { return String(cString: strerror(io.errnoCode)) }
        if case .connectTimeout(let after)? = error as? ChannelError { return "timed out after \(after)" }
        return "\(error)"
    }

    /// A handshake error as the caller sees it.
    static func clientError(_ error: any Error) -> TickwireClientError {
        if let error = error as? TickwireClientError { return error }
        if let error = error as? NIOHTTPClientUpgradeError {
            if error == .upgraderDeniedUpgrade {
                return .upgradeFailed("the server's Sec-WebSocket-Accept does not match the key sent")
            }
            return .upgradeFailed("\(error)")
        }
        if error is NIOSSLError || error is BoringSSLError { return .tls("\(error)") }
        return .connection("\(error)")
    }
}

/// Until the server answers: turns a lost connection or a pipeline error
/// (TLS, HTTP parsing) into the handshake's failure.
private final class HandshakeWatcher<Installed: Sendable>: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = NIOAny
    let done: EventLoopPromise<Installed>

    init(done: EventLoopPromise<Installed>) { self.done = done }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        done.fail(ClientHandshake.clientError(error))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        done.fail(TickwireClientError.connection("the server closed the connection during the WebSocket handshake"))
        context.fireChannelInactive()
    }
}

/// Reads a plain HTTP answer to the upgrade (400 with the versions the server
/// speaks, 401 without a valid token, 404 for an unknown game…) and fails the
/// handshake with its status and body.
private final class HTTPRefusalReader<Installed: Sendable>: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    let done: EventLoopPromise<Installed>
    private var head: HTTPResponseHead?
    private var body: [UInt8] = []

    init(done: EventLoopPromise<Installed>) { self.done = done }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): self.head = head
        case .body(let buffer):
            body += buffer.readableBytesView.prefix(ClientHandshake.maxRefusalBody - body.count)
        case .end:
            finish()
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish()
        context.close(promise: nil)
    }

    private func finish() {
        let status = head?.status
        let text = String(decoding: body, as: UTF8.self).trimmingSpaces
        done.fail(TickwireClientError.handshakeRefused(status: Int(status?.code ?? 0), reason: status?.reasonPhrase ?? "", body: text))
    }
}

extension StringProtocol {
    var trimmingSpaces: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
