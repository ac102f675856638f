#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NIOCore
import NIOHTTP1
import NIOPosix

/// `POST /matchmake` on any node of a Tickwire cluster (`serve --cluster`):
/// a seat in the fullest open match of a game anywhere in the cluster, or
/// where the seat of a resume token is now (its match may have moved to
/// another node when its node died). The ticket's `url` is what
/// `TickwireConnection.connect` or `TickwireLink` connects to.
public enum Matchmaker {
    /// Where to connect: the match, its node, and the URL that takes the seat.
    public struct Ticket: Sendable, Equatable, Decodable {
        public let match: String
        /// The node's URL (`ws://host:port`).
        public let node: String
        /// The seat token (for a resume, the resume token).
        public let seat: String
        public let url: String
        /// True when the match is new: it starts as its first player arrives.
        public let created: Bool
    }

    /// The most a response body may hold.
    static let maxBody = 64 * 1024

    /// A seat in a match of `game`, found by the node at `server`
    /// (`ws://host:port`); with `labels`, in a match placed with at least
    /// those (a new match carries them). Throws a `TickwireClientError` with
    /// the node's status (`httpStatus`) and reason (`body`) when there is none.
    public static func seat(game: String, labels: [String: String] = [:], at server: TickwireURL,
                            options: ClientOptions = ClientOptions(),
                            group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> Ticket {
        try await ask(body: Request(game: game, labels: labels.isEmpty ? nil : labels), at: server, options: options, group: group)
    }

    /// Takes the seat of resume token `token` back wherever its match runs
    /// now, asking the node at `server`: the connection, welcomed. Right
    /// after a node dies the cluster may still name it for a few seconds
    /// (until its heartbeat is old), and the match then moves: a refused
    /// connection or an unknown token is asked about again every half
    /// second, for at most `patience`.
    public static func reconnect(token: String, at server: TickwireURL, patience: Duration = .seconds(15),
                                 options: ClientOptions = ClientOptions(),
                                 group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> TickwireConnection {
        let deadline = ContinuousClock.now + patience
        while true {
            let ticket = try await resume(token: token, at: server, patience: max(.zero, deadline - ContinuousClock.now),
                                          options: options, group: group)
            do {
                let connection = try await TickwireConnection.connect(ticket.url, options: options, group: group)
                _ = try await connection.welcome
                return connection
            } catch let error as TickwireClientError where ContinuousClock.now < deadline
                && (error.isHandshakeFailure || error.serverError?.code == .notFound) {
                try await Task.sleep(for: .milliseconds(500))
            }
        }
    }

    private struct Request: Encodable {
        var game: String? = nil
        var labels: [String: String]? = nil
        var resume: String? = nil
    }

    /// Where the seat of resume token `token` is now. While its match is
    /// moving to another node (its node just died), asks again every half
    /// second for at most `patience`.
    public static func resume(token: String, at server: TickwireURL, patience: Duration = .seconds(15),
                              options: ClientOptions = ClientOptions(),
                              group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> Ticket {
        let deadline = ContinuousClock.now + patience
        while true {
            do {
                return try await ask(body: Request(resume: token), at: server, options: options, group: group)
            } catch let error as TickwireClientError where error.httpStatus == 503 && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(500))
            }
        }
    }

    private static func ask(body: Request, at server: TickwireURL, options: ClientOptions,
                            group: any EventLoopGroup) async throws -> Ticket {
        let json = try JSONEncoder().encode(body)
        let url = TickwireURL(isSecure: server.isSecure, host: server.host, port: server.port, target: "/matchmake")
        let (status, answer) = try await post(Array(json), to: url, options: options, on: group.next()).get()
        guard status == 200 else {
            throw TickwireClientError.noTicket(status: status, body: String(decoding: answer, as: UTF8.self))
        }
        do {
            return try JSONDecoder().decode(Ticket.self, from: Data(answer))
        } catch {
            throw TickwireClientError.connection("POST /matchmake at \(server.hostHeader) answered what is not a ticket: \(error)")
        }
    }

    /// One HTTP/1.1 POST, its status and body; the connection is closed after.
    static func post(_ body: [UInt8], to url: TickwireURL, options: ClientOptions, on loop: any EventLoop)
        -> EventLoopFuture<(Int, [UInt8])> {
        let done = loop.makePromise(of: (Int, [UInt8]).self)
        let bootstrap: ClientBootstrap
        do {
            bootstrap = try ClientHandshake.bootstrap(to: url, options: options, on: loop) { channel in
                try channel.pipeline.syncOperations.addHTTPClientHandlers()
                try channel.pipeline.syncOperations.addHandler(ResponseReader(done: done))
            }
        } catch {
            done.fail(error)
            return done.futureResult
        }
        bootstrap.connect(host: url.host, port: url.port).whenComplete { result in
            switch result {
            case .failure(let error):
                done.fail(TickwireClientError.connection("cannot connect to \(url.hostHeader): \(error)"))
            case .success(let channel):
                var headers = HTTPHeaders()
                headers.add(name: "Host", value: url.hostHeader)
                headers.add(name: "Content-Type", value: "application/json")
                headers.add(name: "Content-Length", value: String(body.count))
                headers.add(name: "Connection", value: "close")
                for header in options.headers { headers.add(name: header.name, value: header.value) }
                channel.write(HTTPClientRequestPart.head(HTTPRequestHead(version: .http1_1, method: .POST, uri: url.target, headers: headers)),
                              promise: nil)
                channel.write(HTTPClientRequestPart.body(.byteBuffer(channel.allocator.buffer(bytes: body))), promise: nil)
                channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
                // A node that never answers does not hold the caller forever.
                let timeout = channel.eventLoop.scheduleTask(in: .seconds(30)) {
                    done.fail(TickwireClientError.connection("POST \(url.target) at \(url.hostHeader): no answer within 30 s"))
                    channel.close(promise: nil)
                }
                done.futureResult.whenComplete { _ in
                    timeout.cancel()
                    channel.close(promise: nil)
                }
            }
        }
        return done.futureResult
    }

    /// Collects one response, bounded.
    private final class ResponseReader: ChannelInboundHandler {
        typealias InboundIn = HTTPClientResponsePart
        let done: EventLoopPromise<(Int, [UInt8])>
        private var status: Int?
        private var body: [UInt8] = []

        init(done: EventLoopPromise<(Int, [UInt8])>) { self.done = done }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head): status = Int(head.status.code)
            case .body(let buffer): body += buffer.readableBytesView.prefix(max(0, Matchmaker.maxBody - body.count))
            case .end:
                done.succeed((status ?? 0, body))
                context.close(promise: nil)
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            done.fail(TickwireClientError.connection("the connection closed before the answer ended"))
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            done.fail(TickwireClientError.connection("\(error)"))
            context.close(promise: nil)
        }
    }
}
