import Cluster
import Engine
import Foundation
import NIOCore
import NIOHTTP1
import NIOWebSocket

/// The plain-HTTP side of the server, for requests that were not upgraded
/// to a WebSocket:
///
///     GET  /matches[?game=NAME]   running matches (JSON array of MatchSummary); in a cluster every
///                                 live node's, `scope=node` this node's alone
///     POST /matches               {"game": NAME, "params": {…}} → 201, the new match
///     GET  /matches/ID            one match
///     GET  /matches/ID/state      its state as JSON (--dev, or the operator's token)
///     GET  /games                 every game: name, tick rate, seats, matches; or why it did not load
///     GET  /healthz               {"status":"ok","matches":N}, 503 once stopping
///     GET  /metrics               Prometheus text exposition
///     GET  /replay                a replay's playback (tickwire replay --serve)
///     POST /replay                {"paused": BOOL, "speed": X, "seek": TICK} → its new status
///     /play, /spectate            the upgrade's refusal, or 426 (WebSocket only)
///     GET  anything else          a static file, when `files` is set
///
/// Placement: last in the connection's pipeline, after
/// `configureHTTPServerPipeline(withPipeliningAssistance: true, withServerUpgrade: …,
/// withErrorHandling: true)`; the upgrade's completion handler removes it.
/// It relies on pipelining assistance: the next request arrives only once
/// the answer to the current one is written. NIO's error handler answers
/// requests its decoder cannot parse (400 and close); everything that does
/// parse gets a defined answer here, errors as one line of plain text.
///
/// Every answer has `Content-Length`. The connection stays open unless the
/// request asked otherwise (`Connection: close`, HTTP/1.0 without
/// keep-alive), or the answer was to `/play` or `/spectate` (the upgrade
/// handler leaves after the first request, so a WebSocket needs a new
/// connection), or the body was too large.
final class HTTPEndpoints: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// Largest request body: a `POST /matches` is well under 1 KiB.
    static let maxBodyBytes = 64 * 1024
    /// Body bytes read and dropped after a 413, so that the client, still
    /// sending, reads the answer rather than a connection reset. Beyond it
    /// the connection is closed at once.
    static let maxDiscardBytes = 1 << 20

    let directory: MatchDirectory
    let stateAccess: MatchStateAccess
    private let cluster: ServerCluster
    private let metrics: ServerMetrics
    private let files: StaticFiles?
    private let upgradeRefusal: UpgradeRefusal
    private var state = State.idle

    private enum State {
        case idle
        /// A request head arrived; its body is being read.
        case receiving(head: HTTPRequestHead, route: Route, body: ByteBuffer, received: Int)
        /// The request is complete and its answer is being made.
        case answering
        /// Answered early (body too large): the rest of the body is dropped,
        /// then the connection closes once `written` completes.
        case discarding(budget: Int, written: EventLoopFuture<Void>)
        /// The connection is closing: everything read is ignored.
        case closing
    }

    init(directory: MatchDirectory, metrics: ServerMetrics, files: StaticFiles?, upgradeRefusal: UpgradeRefusal,
         stateAccess: MatchStateAccess = .closed, cluster: ServerCluster = ServerCluster()) {
        self.directory = directory
        self.cluster = cluster
        self.stateAccess = stateAccess
        self.metrics = metrics
        self.files = files
        self.upgradeRefusal = upgradeRefusal
    }

    // MARK: Reading

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): received(head, context: context)
        case .body(let chunk): received(chunk, context: context)
        case .end: receivedEnd(context: context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // A declined WebSocket upgrade: the request comes next, and is answered.
        if error is NIOWebSocketUpgradeError { return }
        // Anything else ends the connection; NIO's error handler has answered a parse error already.
        state = .closing
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        state = .closing
        context.fireChannelInactive()
    }

    private func received(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        guard case .idle = state else { return }
        let route = Self.route(head.method, head.uri, servesFiles: files != nil)
        if let length = head.headers.first(name: "content-length").flatMap(Int.init), length > Self.maxBodyBytes {
            answerTooLarge(head, context: context)
            return
        }
        if route.readsBody,
           head.headers[canonicalForm: "expect"].contains(where: { $0.lowercased() == "100-continue" }) {
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
        }
        state = .receiving(head: head, route: route, body: ByteBuffer(), received: 0)
    }

    private func received(_ chunk: ByteBuffer, context: ChannelHandlerContext) {
        switch state {
        case .receiving(let head, let route, var body, let received):
            state = .answering  // drops the state's reference to `body`, so appending does not copy it
            let total = received + chunk.readableBytes
            guard total <= Self.maxBodyBytes else {
                answerTooLarge(head, context: context)
                return
            }
            if route.readsBody {
                var chunk = chunk
                body.writeBuffer(&chunk)
            }
            state = .receiving(head: head, route: route, body: body, received: total)
        case .discarding(let budget, let written):
            let left = budget - chunk.readableBytes
            if left >= 0 {
                state = .discarding(budget: left, written: written)
            } else {
                state = .closing
                written.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            }
        case .idle, .answering, .closing:
            break
        }
    }

    private func receivedEnd(context: ChannelHandlerContext) {
        switch state {
        case .receiving(let head, let route, let body, _):
            state = .answering
            answer(route, head: head, body: body, context: context)
        case .discarding(_, let written):
            state = .closing
            written.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        case .idle, .answering, .closing:
            break
        }
    }

    // MARK: Answering

    private func answer(_ route: Route, head: HTTPRequestHead, body: ByteBuffer, context: ChannelHandlerContext) {
        if let refusal = declinedUpgrade() { return respond(refusal, to: head, context: context) }
        switch route {
        case .listMatches(let query): respond(listMatches(query: query), to: head, context: context)
        case .createMatch: respondLater(createMatch(body: body, on: context.eventLoop), to: head, context: context)
        case .matchmake: respondLater(matchmake(body: body, on: context.eventLoop), to: head, context: context)
        case .matchState(let id): respondLater(matchState(id: id, head: head, on: context.eventLoop), to: head, context: context)
        case .match(let id):
            let answer = directory.host(id: id).map { HTTPResponse.json(.ok, encoding: $0.summary) }
                ?? .text(.notFound, "no match \"\(id)\" on this server (see GET /matches)")
            respond(answer, to: head, context: context)
        case .games: respond(.json(.ok, encoding: GameListing.all(in: directory)), to: head, context: context)
        case .health:
            let answer = directory.isStopping
                ? HTTPResponse.json(.serviceUnavailable, Array(#"{"status":"stopping"}"#.utf8))
                : HTTPResponse.json(.ok, Array(#"{"status":"ok","matches":\#(directory.matchCount)}"#.utf8))
            respond(answer, to: head, context: context)
        case .metrics:
            respond(HTTPResponse(.ok, headers: ["content-type": "text/plain; version=0.0.4; charset=utf-8"],
                                 body: ByteBuffer(bytes: metrics.exposition())), to: head, context: context)
        case .replayStatus, .replayControl: respondLater(replay(route, body: body, on: context.eventLoop), to: head, context: context)
        case .notUpgraded(let path): respond(notUpgraded(path), to: head, context: context)
        case .file(let path):
            guard let files else { return respond(.text(.notFound, "no file at \(path)"), to: head, context: context) }
            respondLater(files.respond(method: head.method, path: path, headers: head.headers, on: context.eventLoop),
                         to: head, context: context)
        case .notAllowed(let allow):
            var answer = HTTPResponse.text(.methodNotAllowed, "\(head.method) is not allowed here (allowed: \(allow))")
            answer.headers.add(name: "allow", value: allow)
            respond(answer, to: head, context: context)
        case .refused(let refusal): respond(.refusal(refusal), to: head, context: context)
        }
    }

    /// `GET /replay`: the playback's status; `POST /replay`: pause, resume,
    /// change its speed or seek (answered once the replay is at the tick).
    /// Only `tickwire replay --serve` has a playback.
    private func replay(_ route: Route, body: ByteBuffer, on loop: EventLoop) -> EventLoopFuture<HTTPResponse> {
        guard let playback = directory.playbacks.first else {
            return loop.makeSucceededFuture(.text(.notFound, "this server plays no replay (tickwire replay FILE --serve does)"))
        }
        guard route == .replayControl else { return loop.makeSucceededFuture(.json(.ok, encoding: playback.status)) }
        let request: ReplayControlRequest
        switch ReplayControlRequest.parse(body) {
        case .success(let parsed): request = parsed
        case .failure(let refusal): return loop.makeSucceededFuture(.refusal(refusal))
        }
        let status = playback.control(request)
        guard let tick = request.seek else { return loop.makeSucceededFuture(.json(.ok, encoding: status)) }
        guard let host = directory.host(id: status.match) else {
            return loop.makeSucceededFuture(.text(.notFound, "the replay has stopped"))
        }
        return host.seek(to: tick)
            .map { HTTPResponse.json(.ok, encoding: $0) }
            .recover { .text(.conflict, "\($0)") }
    }

    private func listMatches(query: Substring) -> HTTPResponse {
        guard let fields = PlayRequest.decodeQuery(query) else {
            return .text(.badRequest, "the query string is not valid percent-encoded UTF-8")
        }
        let local = fields.contains { $0.0 == "scope" && $0.1 == "node" }
        guard var summaries = local ? directory.summaries() : cluster.summaries(directory) else {
            return .text(.serviceUnavailable, "the cluster database has not answered lately, so the cluster's matches are unknown; "
                         + "this node's own: GET /matches?scope=node")
        }
        if let game = fields.last(where: { $0.0 == "game" })?.1, !game.isEmpty {
            guard directory.games[game] != nil else {
                return .text(.notFound, "no game named \"\(game)\" (this server has: \(directory.games.keys.sorted().joined(separator: ", ")))")
            }
            summaries.removeAll { $0.game != game }
        }
        return HTTPResponse.json(.ok, encoding: summaries)
    }

    private func createMatch(body: ByteBuffer, on loop: EventLoop) -> EventLoopFuture<HTTPResponse> {
        let request: CreateMatchRequest
        switch CreateMatchRequest.parse(body) {
        case .success(let parsed): request = parsed
        case .failure(let refusal): return loop.makeSucceededFuture(.refusal(refusal))
        }
        return directory.create(game: request.game, params: request.params.isEmpty ? nil : request.params)
            .map { host in
                var answer = HTTPResponse.json(.created, encoding: host.summary)
                answer.headers.add(name: "location", value: "/matches/\(host.id)")
                return answer
            }
            .recover { error in
                guard let error = error as? MatchDirectory.CreateError else {
                    return .text(.internalServerError, "the match could not be created: \(error)")
                }
                switch error.kind {
                case .unknownGame: return .text(.notFound, error.description)
                case .tooManyMatches, .shuttingDown: return .text(.serviceUnavailable, error.description)
                case .failedToStart: return .text(.internalServerError, error.description)
                }
            }
    }

    /// A seat anywhere in the cluster: the URL to connect to, with its
    /// seat token; or, for a resume token, the URL that resumes it on the
    /// node its match runs on now.
    private func matchmake(body: ByteBuffer, on loop: EventLoop) -> EventLoopFuture<HTTPResponse> {
        let request: MatchmakeRequest
        switch MatchmakeRequest.parse(body) {
        case .success(let parsed): request = parsed
        case .failure(let refusal): return loop.makeSucceededFuture(.refusal(refusal))
        }
        guard cluster.node != nil else {
            let local = switch request {
            case .game(let game, _): "/play?game=\(game)"
            case .resume: "/play?resume=TOKEN"
            }
            return loop.makeSucceededFuture(.text(.notFound, "this server is not a node of a cluster (serve --cluster): connect to \(local)"))
        }
        if case .game(let game, _) = request, directory.games[game] == nil {
            return loop.makeSucceededFuture(.text(.notFound, "no game named \"\(game)\" (this server has: \(directory.games.keys.sorted().joined(separator: ", ")))"))
        }
        let promise = loop.makePromise(of: HTTPResponse.self)
        promise.completeWithTask { [cluster, directory] in
            switch request {
            case .game(let game, let labels):
                do {
                    let seat = try await cluster.matchmake(game: game, labels: labels, directory: directory)
                    return HTTPResponse.json(.ok, encoding: MatchmakeAnswer(seat, game: game))
                } catch {
                    return .text(.serviceUnavailable, "no seat: \(ClusterNode.describe(error))")
                }
            case .resume(let token):
                do {
                    switch try await cluster.locate(resumeToken: token) {
                    case .at(let match, let node):
                        return HTTPResponse.json(.ok, encoding: MatchmakeAnswer(resuming: token, match: match, node: node,
                                                                                grace: directory.resumeGrace))
                    case .moving(let match):
                        var answer = HTTPResponse.text(.serviceUnavailable,
                                                       "match \(match) is moving to another node (its node stopped answering): ask again in a second")
                        answer.headers.add(name: "retry-after", value: "1")
                        return answer
                    case .unknown:
                        return .text(.notFound, "no seat in the cluster holds this resume token (its grace period may have ended)")
                    }
                } catch {
                    return .text(.serviceUnavailable, "the cluster does not answer: \(ClusterNode.describe(error))")
                }
            }
        }
        return promise.futureResult
    }

    /// The answer to a WebSocket upgrade the upgrader declined (whatever
    /// the path: it may have been declined for the path), passed on once.
    private func declinedUpgrade() -> HTTPResponse? {
        guard let refusal = upgradeRefusal.refusal else { return nil }
        upgradeRefusal.refusal = nil
        metrics.refused(Self.refusalReason(refusal.status))
        var answer = HTTPResponse.refusal(refusal)
        answer.closesConnection = true
        return answer
    }

    /// `/play` or `/spectate` that asked for no upgrade at all.
    private func notUpgraded(_ path: String) -> HTTPResponse {
        metrics.refused("not-websocket")
        var answer = HTTPResponse.text(.upgradeRequired,
                                       "\(path) speaks WebSocket only: connect with a WebSocket client asking for subprotocol \(ProtocolVersion.subprotocol)")
        answer.headers.add(name: "upgrade", value: "websocket")
        answer.closesConnection = true
        return answer
    }

    /// The `reason` label of `tickwire_connections_refused_total` for a
    /// declined upgrade, by the status the upgrader chose.
    static func refusalReason(_ status: HTTPResponseStatus) -> String {
        switch status {
        case .badRequest: "bad-request"
        case .unauthorized: "auth"
        case .forbidden: "origin"
        case .notFound: "not-found"
        case .serviceUnavailable: "unavailable"
        default: "status-\(status.code)"
        }
    }

    private func answerTooLarge(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        var answer = HTTPResponse.text(.payloadTooLarge, "the request body is larger than \(Self.maxBodyBytes / 1024) KiB")
        answer.closesConnection = true
        let written = context.eventLoop.makePromise(of: Void.self)
        // A client waiting for `100 Continue` sends no body: close right away.
        if head.headers[canonicalForm: "expect"].contains(where: { $0.lowercased() == "100-continue" }) {
            state = .closing
            written.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        } else {
            state = .discarding(budget: Self.maxDiscardBytes, written: written.futureResult)
        }
        write(answer, to: head, keepAlive: false, context: context, promise: written)
    }

    private func respondLater(_ answer: EventLoopFuture<HTTPResponse>, to head: HTTPRequestHead, context: ChannelHandlerContext) {
        answer.hop(to: context.eventLoop).assumeIsolated().whenComplete { result in
            guard case .answering = self.state else { return }
            switch result {
            case .success(let answer): self.respond(answer, to: head, context: context)
            case .failure(let error): self.respond(.text(.internalServerError, "\(error)"), to: head, context: context)
            }
        }
    }

    private func respond(_ answer: HTTPResponse, to head: HTTPRequestHead, context: ChannelHandlerContext) {
        let keepAlive = head.isKeepAlive && !answer.closesConnection
        // Set before writing: writing the end may hand us the next pipelined request at once.
        state = keepAlive ? .idle : .closing
        let written = context.eventLoop.makePromise(of: Void.self)
        if !keepAlive { written.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) } }
        write(answer, to: head, keepAlive: keepAlive, context: context, promise: written)
    }

    private func write(_ answer: HTTPResponse, to head: HTTPRequestHead, keepAlive: Bool,
                       context: ChannelHandlerContext, promise: EventLoopPromise<Void>) {
        context.write(wrapOutboundOut(.head(answer.head(for: head, keepAlive: keepAlive))), promise: nil)
        if head.method != .HEAD, answer.body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(answer.body))), promise: nil)
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: promise)
    }
}
