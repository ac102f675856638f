import Client
import Engine
import Foundation
@testable import Server
import Testing
import WebSocket

/// Who may open a WebSocket: the subprotocol, the origin list, JWT auth and TLS.
@Suite(.timeLimit(.minutes(1))) struct HandshakeTests {
    private func refusal(_ live: LiveServer, _ path: String, options: ClientOptions = ClientOptions()) async -> TickwireClientError? {
        do {
            let c = try await live.connect(path, options: options)
            _ = try await c.welcome
            return nil
        } catch let error as TickwireClientError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    @Test func anOriginOutsideTheListIsRefusedWith403() async throws {
        let live = try await LiveServer { $0.allowedOrigins = ["https://game.example"] }
        defer { Task { await live.stop() } }
        var evil = ClientOptions()
        evil.headers = [("Origin", "https://evil.example")]
        let refused = await refusal(live, "/play?game=arena", options: evil)
        #expect(refused?.httpStatus == 403)
        #expect(refused?.body?.contains("evil.example") == true)
        var good = ClientOptions()
        good.headers = [("Origin", "https://game.example")]
        #expect(await refusal(live, "/play?game=arena", options: good) == nil)
        // Non-browser clients send no Origin and are let in.
        #expect(await refusal(live, "/play?game=arena") == nil)
    }

    @Test func badQueriesAreRefusedWith400AndAReason() async throws {
        let live = try await LiveServer()
        defer { Task { await live.stop() } }
        for path in ["/play", "/play?name=x", "/spectate", "/play?game=%zz", "/play?game=arena&name=" + String(repeating: "n", count: 300)] {
            let refused = await refusal(live, path)
            #expect(refused?.httpStatus == 400, "\(path)")
            #expect(refused?.body?.isEmpty == false, "\(path)")
        }
    }

    @Test func withASecretPlayersNeedAValidTokenAndTakeTheirNameFromIt() async throws {
        let secret = "correct horse battery staple, and more"
        // Tokens are checked on Swift's concurrent threads, which a loaded
        // test process may keep busy for longer than the usual 10 s.
        let live = try await LiveServer {
            $0.jwtSecret = secret
            $0.handshakeTimeout = .seconds(60)
        }
        defer { Task { await live.stop() } }
        #expect(await refusal(live, "/play?game=echo")?.httpStatus == 401)
        let forged = try await PlayerAuth.sign(secret: String(repeating: "w", count: 32), subject: "u1", name: "Ann")
        #expect(await refusal(live, "/play?game=echo&token=\(forged)")?.httpStatus == 401)
        let expired = try await PlayerAuth.sign(secret: secret, subject: "u1", name: "Ann", expires: Date(timeIntervalSinceNow: -60))
        #expect(await refusal(live, "/play?game=echo&token=\(expired)")?.httpStatus == 401)
        #expect(await refusal(live, "/play?game=echo&token=not.a.jwt")?.httpStatus == 401)

        let token = try await PlayerAuth.sign(secret: secret, subject: "u1", name: "Ann")
        // In the subprotocol, as a browser sends it…
        let ann = try await live.connect("/play?game=echo", name: "ignored", options: ClientOptions(token: token))
        let welcome = try await ann.welcome
        let mirror = ClientMirror(schema: welcome.schema)
        #expect(try await ann.snapshots(into: mirror) { $0.entities.contains { $0["name"] == .string("Ann") } })
        // …or in the query. The same account rejoining the match takes its seat back.
        let again = try await live.connect("/play?game=echo&match=\(welcome.matchID)&token=\(token)")
        #expect(try await again.welcome.playerID == welcome.playerID)
        #expect(live.server.directory.summaries().first?.players == 1)
    }

    @Test func aShortSecretStopsTheStart() async throws {
        await #expect(throws: TickwireServer.StartError.self) { _ = try await LiveServer { $0.jwtSecret = "short" } }
    }

    @Test func tlsServesWss() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tw-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let cert = dir.appendingPathComponent("cert.pem").path, key = dir.appendingPathComponent("key.pem").path
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        openssl.arguments = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                             "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert]
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        try #require(openssl.terminationStatus == 0, "openssl could not make a test certificate")
        let live = try await LiveServer { $0.tlsCertificate = cert; $0.tlsKey = key }
        defer { Task { await live.stop() } }
        let c = try await TickwireConnection.connect("wss://127.0.0.1:\(live.port)/play?game=arena",
                                                     options: ClientOptions(trust: .certificateAuthorities([cert])))
        #expect(try await c.welcome.playerID == 1)
        #expect(try await c.nextSnapshot() != nil)
    }

    @Test func aBrokenTlsSetupStopsTheStartWithAClearError() async throws {
        do {
            _ = try await LiveServer { $0.tlsCertificate = "/nonexistent/cert.pem"; $0.tlsKey = "/nonexistent/key.pem" }
            Issue.record("the server started without its certificate")
        } catch let error as TickwireServer.StartError {
            #expect(error.description.contains("/nonexistent/cert.pem"))
        }
    }
}
