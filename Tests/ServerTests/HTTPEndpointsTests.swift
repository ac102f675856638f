#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Engine
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
@testable import Server
import TestSupport
import Testing
import WebSocket

/// `HTTPEndpoints` on a real socket, placed as the server places it (after
/// NIO's HTTP pipeline with an upgrader), spoken to by a raw-socket client
/// that sends exactly the bytes each test needs.
@Suite(.timeLimit(.minutes(1))) struct HTTPEndpointsTests {
    // MARK: Health and metrics

    @Test func healthzCountsMatchesAndTurnsUnavailableWhenStopping() async throws {
        let server = try await EndpointServer()
        let http = try RawHTTP(port: server.port)
        var answer = try http.exchange("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(answer.status == 200)
        #expect(answer.header("content-type") == "application/json")
        #expect(answer.text == #"{"status":"ok","matches":0}"#)
        _ = try http.exchange(post(#"{"game": "arena"}"#))
        answer = try http.exchange("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(answer.text == #"{"status":"ok","matches":1}"#)
        try await server.directory.stopAll().get()
        answer = try http.exchange("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(answer.status == 503)
        #expect(answer.text == #"{"status":"stopping"}"#)
        answer = try http.exchange(post(#"{"game": "arena"}"#))
        #expect(answer.status == 503)
        #expect(answer.text.contains("shutting down"))
        try await server.stop()
    }

    @Test func headAnswersHeadersOnlyAndTheConnectionStaysUsable() async throws {
        let server = try await EndpointServer()
        let http = try RawHTTP(port: server.port)
        let head = try http.exchange("HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n", head: true)
        #expect(head.status == 200)
        #expect(head.header("content-length") == "\(#"{"status":"ok","matches":0}"#.utf8.count)")
        #expect(head.body.isEmpty)
        // Had a body been sent after the HEAD answer, it would be read as this answer.
        let get = try http.exchange("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(get.status == 200)
        #expect(get.text == #"{"status":"ok","matches":0}"#)
        try await server.stop()
    }

    @Test func metricsServesThePrometheusExposition() async throws {
        let server = try await EndpointServer()
        server.metrics.refused("full")
        let answer = try RawHTTP(port: server.port).exchange("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(answer.status == 200)
        #expect(answer.header("content-type") == "text/plain; version=0.0.4; charset=utf-8")
        #expect(answer.text.contains(#"tickwire_connections_refused_total{reason="full"} 1"#))
        try await server.stop()
    }

    // MARK: Matches

    @Test func postCreatesAMatchThatTheListAndItsOwnPathShow() async throws {
        let server = try await EndpointServer()
        let http = try RawHTTP(port: server.port)
        #expect(try http.exchange("GET /matches HTTP/1.1\r\nHost: x\r\n\r\n").text == "[]")

        let created = try http.exchange(post(#"{"game": "arena"}"#))
        #expect(created.status == 201)
        #expect(created.header("content-type") == "application/json")
        let summary = try JSONDecoder().decode(MatchSummary.self, from: Data(created.body))
        #expect(summary.game == "arena")
        #expect(summary.capacity == 16)
        #expect(summary.players == 0)
        #expect(summary.running)
        #expect(created.header("location") == "/matches/\(summary.id)")
        let keys = try #require(try JSONSerialization.jsonObject(with: Data(created.body)) as? [String: Any]).keys
        #expect(Set(keys) == ["id", "game", "players", "spectators", "capacity", "tick", "ageSeconds", "running"])

        let list = try http.exchange("GET /matches HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try JSONDecoder().decode([MatchSummary].self, from: Data(list.body)).map(\.id) == [summary.id])
        let filtered = try http.exchange("GET /matches?game=arena HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try JSONDecoder().decode([MatchSummary].self, from: Data(filtered.body)).map(\.id) == [summary.id])
        let other = try http.exchange("GET /matches?game=params HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(other.status == 200)
        #expect(other.text == "[]")

        let one = try http.exchange("GET /matches/\(summary.id) HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(one.status == 200)
        #expect(try JSONDecoder().decode(MatchSummary.self, from: Data(one.body)).id == summary.id)
        let missing = try http.exchange("GET /matches/nosuchmatch HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(missing.status == 404)
        #expect(missing.header("content-type") == "text/plain; charset=utf-8")
        #expect(missing.text == "no match \"nosuchmatch\" on this server (see GET /matches)\n")
        #expect(try http.exchange("GET /matches?game=chess HTTP/1.1\r\nHost: x\r\n\r\n").status == 404)
        #expect(try http.exchange("GET /matches?game=%zz HTTP/1.1\r\nHost: x\r\n\r\n").status == 400)
        try await server.stop()
    }

    @Test func paramsReachGameInitWithTheirTypes() async throws {
        let server = try await EndpointServer()
        let http = try RawHTTP(port: server.port)
        // The `params` game fails to start unless it gets exactly these values.
        let good = try http.exchange(post(#"{"game": "params", "params": {"score_limit": 10, "mode": "ffa", "sudden_death": true}}"#))
        #expect(good.status == 201, "\(good.text)")
        let wrong = try http.exchange(post(#"{"game": "params", "params": {"score_limit": "10", "mode": "ffa", "sudden_death": 1}}"#))
        #expect(wrong.status == 500)
        #expect(wrong.text.contains("failed to start"))
        #expect(wrong.text.contains("params were not passed through"))
        #expect(!wrong.text.dropLast().contains("\n"))
        try await server.stop()
    }

    @Test func badBodiesAreRefusedNamingWhatIsWrong() async throws {
        let server = try await EndpointServer()
        let http = try RawHTTP(port: server.port)
        let cases: [(String, String)] = [
            ("", "the body is empty"),
            ("{\"game\": ", "not valid JSON"),
            ("[\"arena\"]", "must be a JSON object"),
            ("{}", "\"game\" is missing"),
            ("{\"game\": 7}", "\"game\" must be a string"),
            ("{\"game\": \"\"}", "\"game\" is empty"),
            ("{\"game\": \"arena\", \"parms\": {}}", "unknown field \"parms\""),
            ("{\"game\": \"arena\", \"params\": [1, 2]}", "\"params\" must be an object"),
            ("{\"game\": \"arena\", \"params\": {\"a\": [1]}}", "params.a must be a number, a string or a boolean"),
            ("{\"game\": \"arena\", \"params\": {\"b\": {\"c\": 1}}}", "params.b must be"),
            ("{\"game\": \"arena\", \"params\": {\"n\": null}}", "params.n must be"),
        ]
        for (body, expected) in cases {
            let answer = try http.exchange(post(body))
            #expect(answer.status == 400, "\(body)")
            #expect(answer.text.contains(expected), "\(body) → \(answer.text)")
            #expect(answer.header("content-type") == "text/plain; charset=utf-8")
        }
        let unknown = try http.exchange(post(#"{"game": "chess"}"#))
        #expect(unknown.status == 404)
        #expect(unknown.text.contains("no game named \"chess\" (this server has: arena, broken, params)"))
        #expect(server.directory.matchCount == 0)
        try await server.stop()
    }

    @Test func createRefusalsMapToStatuses() async throws {
        let server = try await EndpointServer(maxMatches: 1)
        let http = try RawHTTP(port: server.port)
        let broken = try http.exchange(post(#"{"game": "broken"}"#))
        #expect(broken.status == 500)
        #expect(broken.text.contains("boom at init"), "\(broken.text)")
        #expect(try http.exchange(post(#"{"game": "arena"}"#)).status == 201)
        let full = try http.exchange(post(#"{"game": "arena"}"#))
        #expect(full.status == 503)
        #expect(full.text.contains("most matches (1)"))
        try await server.stop()
    }

    @Test func createRequestParsingKeepsTypes() throws {
        let parsed = try CreateMatchRequest.parse(ByteBuffer(string: #"{"game":"arena","params":{"a":1.5,"b":"x","c":false,"d":3}}"#)).get()
        #expect(parsed == CreateMatchRequest(game: "arena", params: ["a": .number(1.5), "b": .string("x"), "c": .bool(false), "d": .number(3)]))
        #expect(try CreateMatchRequest.parse(ByteBuffer(string: #"{"game":"arena","params":null}"#)).get().params.isEmpty)
        #expect(throws: HTTPRefusal.self) { try CreateMatchRequest.parse(ByteBuffer(string: #"{"game":"arena","params":{"x":1e999}}"#)).get() }
        #expect(throws: HTTPRefusal.self) { try CreateMatchRequest.parse(ByteBuffer(string: "\u{FF}garbage")).get() }
    }

    @Test func matchmakeRequestsTakeAGameWithLabelsOrAResumeTokenAndSayWhatIsWrong() throws {
        func parse(_ body: String) -> Result<MatchmakeRequest, HTTPRefusal> { MatchmakeRequest.parse(ByteBuffer(string: body)) }
        #expect(try parse(#"{"game":"arena"}"#).get() == .game("arena", labels: [:]))
        #expect(try parse(#"{"game":"arena","labels":{"region":"eu","mode":"ranked"}}"#).get()
                == .game("arena", labels: ["region": "eu", "mode": "ranked"]))
        #expect(try parse(#"{"game":"arena","labels":null}"#).get() == .game("arena", labels: [:]))
        #expect(try parse(#"{"resume":"abc"}"#).get() == .resume(token: "abc"))
        let refusals: [(String, String)] = [
            ("", "empty"),
            ("[1]", "JSON object"),
            ("\u{FF}x", "not valid JSON"),
            (#"{}"#, "\"game\" is missing"),
            (#"{"game":"arena","resume":"x"}"#, "not both"),
            (#"{"game":""}"#, "non-empty string"),
            (#"{"game":7}"#, "non-empty string"),
            (#"{"game":"arena","labels":{"a":1}}"#, "object of strings"),
            (#"{"game":"arena","labels":"eu"}"#, "object of strings"),
            (#"{"game":"arena","labels":{"":"x"}}"#, "a label's name"),
            (#"{"resume":"x","labels":{"a":"b"}}"#, "takes no"),
            (#"{"game":"arena","colour":"red"}"#, "unknown field \"colour\""),
            (#"{"game":"\#(String(repeating: "a", count: 300))"}"#, "at most 256 bytes"),
            (#"{"game":"arena","labels":{\#((0..<17).map { #""k\#($0)":"v""# }.joined(separator: ","))}}"#, "at most 16 labels"),
        ]
        for (body, says) in refusals {
            switch parse(body) {
            case .success(let parsed): Issue.record("\(body) parsed as \(parsed)")
            case .failure(let refusal):
                #expect(refusal.status == .badRequest)
                #expect(refusal.message.contains(says), "\(body): \(refusal.message)")
            }
        }
    }

    // MARK: Limits and garbage

    @Test func anOversizedBodyGets413AndTheConnectionCloses() async throws {
        let server = try await EndpointServer()
        let big = String(repeating: "x", count: HTTPEndpoints.maxBodyBytes + 1)
        // Announced by Content-Length: answered at the head, the body is drained.
        var http = try RawHTTP(port: server.port)
        var answer = try http.exchange(post(big))
        #expect(answer.status == 413)
        #expect(answer.header("connection") == "close")
        #expect(answer.text == "the request body is larger than 64 KiB\n")
        #expect(http.readToEnd() == [])
        // Chunked: counted as it arrives.
        http = try RawHTTP(port: server.port)
        let chunk = String(repeating: "y", count: 16 * 1024)
        var request = "POST /matches HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        for _ in 0..<5 { request += String(chunk.utf8.count, radix: 16) + "\r\n" + chunk + "\r\n" }
        request += "0\r\n\r\n"
        answer = try http.exchange(request)
        #expect(answer.status == 413)
        #expect(http.readToEnd() == [])
        // Expect: 100-continue with a large body: refused before any body is sent.
        http = try RawHTTP(port: server.port)
        answer = try http.exchange("POST /matches HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 10000000\r\n\r\n")
        #expect(answer.status == 413)
        #expect(http.readToEnd() == [])
        #expect(server.directory.matchCount == 0)
        try await server.stop()
    }

    @Test func expectContinueGetsAnInterimAnswer() async throws {
        let server = try await EndpointServer()
        let http = try RawHTTP(port: server.port)
        let body = #"{"game": "arena"}"#
        http.send("POST /matches HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: \(body.utf8.count)\r\n\r\n")
        let interim = try http.readResponse()
        #expect(interim.status == 100)
        http.send(body)
        #expect(try http.readResponse().status == 201)
        try await server.stop()
    }

    @Test func otherMethodsGet405WithAllow() async throws {
        let server = try await EndpointServer()
        let http = try RawHTTP(port: server.port)
        let cases = [("DELETE /matches", "GET, HEAD, POST"), ("POST /healthz", "GET, HEAD"), ("PUT /metrics", "GET, HEAD"),
                     ("DELETE /matches/abc", "GET, HEAD"), ("POST /play", "GET"), ("OPTIONS /spectate", "GET")]
        for (line, allow) in cases {
            let answer = try http.exchange("\(line) HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
            #expect(answer.status == 405, "\(line)")
            #expect(answer.header("allow") == allow, "\(line)")
            #expect(answer.text.contains("is not allowed here"))
        }
        // Without static files, any other path is simply not found.
        #expect(try http.exchange("DELETE /index.html HTTP/1.1\r\nHost: x\r\n\r\n").status == 404)
        #expect(try http.exchange("GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n").status == 404)
        try await server.stop()
    }

    @Test func garbageGetsADefinedAnswer() async throws {
        let server = try await EndpointServer()
        // What NIO's decoder cannot parse: its error handler answers 400 and closes.
        for garbage in ["HELLO THERE\r\n\r\n", "\u{0}\u{1}\u{2}\r\n\r\n", "GET /healthz HTTP/1.1\r\nBad Header\r\n\r\n"] {
            let http = try RawHTTP(port: server.port)
            let answer = try http.exchange(garbage)
            #expect(answer.status == 400, "\(garbage.debugDescription)")
            #expect(http.readToEnd() == [])
        }
        let http = try RawHTTP(port: server.port)
        // A target that is not a path; the absolute form is understood.
        #expect(try http.exchange("GET http://example.com/healthz HTTP/1.1\r\nHost: x\r\n\r\n").status == 200)
        let star = try http.exchange("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(star.status == 400)
        #expect(star.text.contains("must be a path"))
        #expect(try http.exchange("GET /matches/ HTTP/1.1\r\nHost: x\r\n\r\n").status == 404)
        #expect(try http.exchange("GET /matches/a/b HTTP/1.1\r\nHost: x\r\n\r\n").status == 404)
        try await server.stop()
    }

    // MARK: Connections

    @Test func keepAliveCloseAndPipelining() async throws {
        let server = try await EndpointServer()
        // Three pipelined requests: three answers in order on one connection.
        var http = try RawHTTP(port: server.port)
        http.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /matches HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try http.readResponse().text.hasPrefix(#"{"status""#))
        #expect(try http.readResponse().text == "[]")
        #expect(try http.readResponse().status == 404)
        // Connection: close is honoured.
        let closing = try http.exchange("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(closing.header("connection") == "close")
        #expect(http.readToEnd() == [])
        // HTTP/1.0 closes unless it asks for keep-alive.
        http = try RawHTTP(port: server.port)
        let old = try http.exchange("GET /healthz HTTP/1.0\r\n\r\n")
        #expect(old.status == 200)
        #expect(old.header("connection") == "close")
        #expect(http.readToEnd() == [])
        http = try RawHTTP(port: server.port)
        let kept = try http.exchange("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        #expect(kept.header("connection") == "keep-alive")
        #expect(try http.exchange("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").status == 200)
        try await server.stop()
    }

    // MARK: /play and /spectate without an upgrade

    @Test func playWithoutAnUpgradeGets426() async throws {
        let server = try await EndpointServer()
        for path in ["/play?game=arena", "/spectate?match=abc"] {
            let http = try RawHTTP(port: server.port)
            let answer = try http.exchange("GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(answer.status == 426)
            #expect(answer.header("upgrade") == "websocket")
            #expect(answer.header("connection") == "close")
            #expect(answer.text.contains("connect with a WebSocket client asking for subprotocol tickwire.2"))
            #expect(http.readToEnd() == [])
        }
        let metrics = String(decoding: server.metrics.exposition(), as: UTF8.self)
        #expect(metrics.contains(#"tickwire_connections_refused_total{reason="not-websocket"} 2"#))
        try await server.stop()
    }

    @Test func aDeclinedUpgradeIsAnsweredWithItsRefusal() async throws {
        let server = try await EndpointServer()
        let http = try RawHTTP(port: server.port)
        // The test upgrader declines every upgrade whose Origin is evil.example.
        let answer = try http.exchange("""
            GET /play?game=arena HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
            Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
            Sec-WebSocket-Protocol: tickwire.2\r\nOrigin: https://evil.example\r\n\r\n
            """)
        #expect(answer.status == 403)
        #expect(answer.text == "the origin https://evil.example may not connect to this server\n")
        #expect(answer.header("connection") == "close")
        #expect(http.readToEnd() == [])
        let metrics = String(decoding: server.metrics.exposition(), as: UTF8.self)
        #expect(metrics.contains(#"tickwire_connections_refused_total{reason="origin"} 1"#))
        try await server.stop()
    }

    @Test func throughTheWholeServer() async throws {
        let live = try await LiveServer()
        defer { Task { await live.stop() } }
        var http = try RawHTTP(port: live.port)
        #expect(try http.exchange("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").status == 200)
        #expect(try http.exchange(post(#"{"game": "echo"}"#)).status == 201)
        #expect(try http.exchange("GET /matches?game=echo HTTP/1.1\r\nHost: x\r\n\r\n").text.contains(#""game":"echo""#))
        // The server's own upgrader declines an upgrade without the subprotocol; its reason comes back.
        http = try RawHTTP(port: live.port)
        let declined = try http.exchange("""
            GET /play?game=arena HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
            Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n
            """)
        #expect(declined.status == 400)
        #expect(declined.text.contains("subprotocol tickwire.2"), "\(declined.text)")
        #expect(http.readToEnd() == [])
        // A client of protocol 1 is told so, and what this server speaks.
        http = try RawHTTP(port: live.port)
        let old = try http.exchange("""
            GET /play?game=arena HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
            Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: tickwire.1\r\n\r\n
            """)
        #expect(old.status == 400)
        #expect(old.text.contains("this client speaks Tickwire protocol 1, an older version; this server speaks protocol 2 only"), "\(old.text)")
        http = try RawHTTP(port: live.port)
        #expect(try http.exchange("GET /play?game=arena HTTP/1.1\r\nHost: x\r\n\r\n").status == 426)
    }

    @Test func routesFromMethodAndTarget() {
        typealias R = HTTPEndpoints.Route
        #expect(HTTPEndpoints.route(.GET, "/matches?game=arena", servesFiles: false) == R.listMatches(query: "game=arena"))
        #expect(HTTPEndpoints.route(.HEAD, "/matches", servesFiles: false) == R.listMatches(query: ""))
        #expect(HTTPEndpoints.route(.POST, "/matches?x", servesFiles: false) == R.createMatch)
        #expect(HTTPEndpoints.route(.GET, "/matches/abc", servesFiles: false) == R.match(id: "abc"))
        #expect(HTTPEndpoints.route(.GET, "/healthz", servesFiles: false) == R.health)
        #expect(HTTPEndpoints.route(.GET, "/metrics", servesFiles: false) == R.metrics)
        #expect(HTTPEndpoints.route(.GET, "/play?game=arena", servesFiles: false) == R.notUpgraded(path: "/play"))
        #expect(HTTPEndpoints.route(.GET, "/app.js?v=2", servesFiles: true) == R.file(path: "/app.js"))
        #expect(HTTPEndpoints.route(.POST, "/app.js", servesFiles: true) == R.notAllowed(allow: "GET, HEAD"))
        #expect(HTTPEndpoints.route(.GET, "HTTPS://host:8080?q", servesFiles: true) == R.file(path: "/"))
        #expect(HTTPEndpoints.refusalReason(.unauthorized) == "auth")
        #expect(HTTPEndpoints.refusalReason(.imATeapot) == "status-418")
    }

    private func post(_ body: String) -> String {
        "POST /matches HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }
}

// MARK: - A server of HTTPEndpoints alone

/// `HTTPEndpoints` in the pipeline `TickwireServer` builds, with a
/// directory of arena and two test games, and an upgrader that declines
/// every upgrade (with a refusal when the Origin is `https://evil.example`).
final class EndpointServer {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let directory: MatchDirectory
    let metrics = ServerMetrics()
    let listener: Channel
    let port: Int
    private let fixtures: [GameFixture]

    /// Fails to start unless `game.init` gets exactly the params the test sends.
    static let paramsGame = """
    local game = { name = "params", max_players = 2 }
    game.state = { match = { n = "u8" } }
    function game.init(match, params)
      if params.score_limit ~= 10 or params.mode ~= "ffa" or params.sudden_death ~= true then
        error("params were not passed through")
      end
    end
    function game.tick(match, inputs, dt) end
    return game
    """

    init(maxMatches: Int = 8, files: StaticFiles? = nil) async throws {
        let params = try GameFixture(game: Self.paramsGame)
        let broken = try GameFixture(game: """
            local game = { name = "broken" }
            game.state = { match = { n = "u8" } }
            function game.init(match) error("boom at init") end
            function game.tick(match, inputs, dt) end
            return game
            """)
        fixtures = [params, broken]
        let games = ["arena": try GameDefinition.load(folder: gamesFolder + "/arena"),
                     "params": try params.load(), "broken": try broken.load()]
        var logger = Logger(label: "tickwire-http-test")
        logger.logLevel = .critical
        let directory = MatchDirectory(games: games, group: group, options: MatchOptions(),
                                       settings: MatchHost.Settings(resumeGrace: .seconds(10), maxSpectators: 16),
                                       maxMatches: maxMatches, metrics: metrics, logger: logger)
        self.directory = directory
        let metrics = self.metrics
        listener = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let refusal = UpgradeRefusal()
                    let upgrader = WebSocketPipeline.serverUpgrader(
                        configuration: WebSocketConfiguration(role: .server),
                        shouldUpgrade: { channel, head in
                            if head.headers.first(name: "origin") == "https://evil.example" {
                                refusal.refusal = HTTPRefusal(.forbidden, "the origin https://evil.example may not connect to this server")
                            }
                            return channel.eventLoop.makeSucceededFuture(nil)
                        },
                        upgradePipelineHandler: { channel, _ in channel.eventLoop.makeSucceededVoidFuture() })
                    let sync = channel.pipeline.syncOperations
                    try sync.configureHTTPServerPipeline(withServerUpgrade: (upgraders: [upgrader], completionHandler: { _ in }))
                    try sync.addHandler(HTTPEndpoints(directory: directory, metrics: metrics, files: files, upgradeRefusal: refusal))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        port = listener.localAddress?.port ?? 0
    }

    func stop() async throws {
        try await directory.stopAll().get()
        try await listener.close()
        try await group.shutdownGracefully()
    }
}


/// `GET /matches/ID/state`: the whole state, for a developer or an operator only.
@Suite(.timeLimit(.minutes(1))) struct MatchStateEndpointTests {
    func state(_ live: LiveServer, _ id: String, token: String? = nil) throws -> RawHTTPAnswer {
        var http = try RawHTTP(port: live.port)
        let auth = token.map { "Authorization: Bearer \($0)\r\n" } ?? ""
        return try http.exchange("GET /matches/\(id)/state HTTP/1.1\r\nHost: x\r\n\(auth)\r\n")
    }

    @Test func devModeAnswersTheStateAsJSON() async throws {
        let live = try await LiveServer { $0.stateAccess = .open }
        defer { Task { await live.stop() } }
        let ann = try await live.connect("/play?game=echo", name: "Ann")
        let id = try await ann.welcome.matchID
        _ = try await ann.send(input: [7])
        let host = try #require(live.server.directory.host(id: id))
        // Until the input has reached the match (a busy machine may read it some ticks late).
        #expect(try await eventually { host.summary.tick > 5 && ((try? self.state(live, id))?.text.contains("\"last\":7") ?? false) })
        let answer = try state(live, id)
        #expect(answer.status == 200 && answer.header("content-type")?.contains("json") == true, "\(answer.text)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(answer.body)) as? [String: Any])
        #expect((object["tick"] as? Int ?? 0) > 5)
        #expect((object["players"] as? [[String: Any]])?.first?["name"] as? String == "Ann")
        let seats = try #require((object["entities"] as? [String: Any])?["seat"] as? [[String: Any]])
        #expect(seats.first?["name"] as? String == "Ann" && seats.first?["last"] as? Int == 7, "\(seats)")
        #expect(try state(live, "nosuchmatch").status == 404)
    }

    @Test func otherwiseOnlyTheOperatorsTokenReadsIt() async throws {
        let token = "an-operator-token-of-some-length"
        let closed = try await LiveServer()
        defer { Task { await closed.stop() } }
        let id = try await closed.connect("/play?game=echo", name: "Ann").welcome.matchID
        let refused = try state(closed, id)
        #expect(refused.status == 403 && refused.text.contains("--dev"), "\(refused.text)")
        let guarded = try await LiveServer { $0.stateAccess = .token(token) }
        defer { Task { await guarded.stop() } }
        let other = try await guarded.connect("/play?game=echo", name: "Bob").welcome.matchID
        #expect(try state(guarded, other).status == 403)
        #expect(try state(guarded, other, token: "wrong").status == 403)
        #expect(try state(guarded, other, token: token).status == 200)
    }
}
