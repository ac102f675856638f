import Client
import Dispatch
import Foundation
import Protocol
import Testing
import TestSupport
import WebSocket

/// `tickwire serve` as an operator runs it: flags and variables, start-up
/// errors, and a clean exit on SIGTERM.
@Suite(.timeLimit(.minutes(1))) struct ServeCommandTests {
    struct BinaryMissing: Error, CustomStringConvertible {
        var description: String { "no tickwire binary: build it first (swift build --build-tests)" }
    }

    /// A running `tickwire serve` whose stderr is collected.
    final class ServerProcess: @unchecked Sendable {
        let process = Process()
        private let lock = NSLock()
        private var collected = Data()
        private let pipe = Pipe()

        /// `collectsStdout`: standard output goes where stderr goes.
        init(_ arguments: [String], environment: [String: String] = [:], command: String = "serve",
             in directory: URL = repoRoot, collectsStdout: Bool = false) throws {
            guard let binary = tickwireBinary else { throw BinaryMissing() }
            process.executableURL = binary
            process.arguments = [command] + arguments
            process.currentDirectoryURL = directory
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = collectsStdout ? pipe : FileHandle.nullDevice
            process.standardError = pipe
            pipe.fileHandleForReading.readabilityHandler = { [self] handle in
                let data = handle.availableData
                lock.withLock { collected.append(data) }
            }
            try process.run()
        }

        var stderr: String { lock.withLock { String(decoding: collected, as: UTF8.self) } }

        /// The port from the `listening on http://HOST:PORT` line.
        func port(within seconds: Double = 30) async throws -> Int {
            let deadline = Date(timeIntervalSinceNow: seconds)
            while Date() < deadline {
                if let line = stderr.split(separator: "\n").first(where: { $0.hasPrefix("listening on ") }),
                   let port = Int(line.split(separator: ":").last ?? "") {
                    return port
                }
                guard process.isRunning else { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            throw CancellationError()
        }

        /// Whether stderr shows every one of `texts` within `seconds`: the log
        /// line and what a client sees race each other through two pipes.
        func logs(_ texts: String..., within seconds: Double = 15) async -> Bool {
            let deadline = Date(timeIntervalSinceNow: seconds)
            while Date() < deadline {
                let log = stderr
                if texts.allSatisfy(log.contains) { return true }
                try? await Task.sleep(for: .milliseconds(20))
            }
            return false
        }

        /// Waits for the exit; kills the process after `seconds`.
        func exitStatus(within seconds: Double = 15) async -> Int32? {
            let deadline = Date(timeIntervalSinceNow: seconds)
            while process.isRunning, Date() < deadline { try? await Task.sleep(for: .milliseconds(20)) }
            if process.isRunning {
                process.terminate()
                return nil
            }
            return process.terminationStatus
        }
    }

    @Test func sigtermClosesPlayersWith1001RunsResultAndExitsZero() async throws {
        let server = try ServerProcess(["--host", "127.0.0.1", "--port", "0", "--games", "games"])
        let port = try await server.port()
        let ann = try await TickwireConnection.connect("ws://127.0.0.1:\(port)/play?game=arena", name: "Ann")
        let welcome = try await ann.welcome
        _ = try await ann.nextSnapshot()
        kill(server.process.processIdentifier, SIGTERM)
        let closed = await ann.closed
        #expect(closed.code == .goingAway)
        #expect(await server.exitStatus() == 0, "\(server.stderr)")
        #expect(await server.logs("shutting down", "match ended", welcome.matchID, "stopped"), "\(server.stderr)")
    }

    @Test func sigtermExitsZeroBesideAStuckMatchAndNamesIt() async throws {
        let games = try GameFixture(["spin/game.lua": """
            local game = { name = "spin", tick_rate = 30, max_players = 2 }
            game.state = { match = { n = "u16" } }
            function game.join(match, player) return true end
            function game.tick(match, inputs, dt)
              match.n = match.tick
              if match.tick == 5 then while true do end end
            end
            return game
            """])
        // A time limit of a minute stands in for a call the Lua limits cannot
        // stop: only the hard limit (1 s) ends it.
        let server = try ServerProcess(["--host", "127.0.0.1", "--port", "0", "--games", games.path,
                                        "--time-limit-ms", "60000", "--hard-limit-ms", "1000"])
        let port = try await server.port()
        let ann = try await TickwireConnection.connect("ws://127.0.0.1:\(port)/play?game=spin", name: "Ann")
        let welcome = try await ann.welcome
        var error: ErrorMessage?
        while let message = try? await ann.next() { if case .error(let e) = message { error = e } }
        #expect(error?.code == .matchOver, "\(server.stderr)")
        #expect(await server.logs("match abandoned", welcome.matchID), "\(server.stderr)")
        let started = ContinuousClock.now
        kill(server.process.processIdentifier, SIGTERM)
        // The stuck match never ends, so any bound shows that shutdown does
        // not wait for it; a loaded machine took 13 s where an idle one takes 1.
        #expect(await server.exitStatus(within: 40) == 0, "\(server.stderr)")
        #expect(ContinuousClock.now - started < .seconds(30))
        #expect(await server.logs("stopped"), "\(server.stderr)")
    }

    @Test func badSettingsStopTheStartWithAMessageNamingThem() async throws {
        let cases: [([String], [String: String], String)] = [
            (["--port", "70000"], [:], "--port"),
            (["--port", "0"], ["TICKWIRE_PORT": "x"], ""),   // the flag wins over a bad variable
            ([], ["TICKWIRE_PORT": "eighty"], "TICKWIRE_PORT"),
            (["--port", "0", "--games", "/nonexistent"], [:], "/nonexistent"),
            (["--port", "0", "--tls-cert", "/nonexistent.pem"], [:], "--tls-key"),
            (["--port", "0", "--jwt-secret", "short"], [:], "32 bytes"),
            (["--port", "0", "--log-level", "loud"], [:], "--log-level"),
            (["--port", "0", "--param", "novalue"], [:], "key=value"),
            (["--port", "0", "--time-limit-ms", "99999999999999999"], [:], "--time-limit-ms"),
            (["--port", "0", "--hard-limit-ms", "0"], [:], "--hard-limit-ms"),
            (["--port", "0", "--cpu-budget-percent", "-1"], [:], "--cpu-budget-percent"),
            (["--port", "0", "--max-outbound-bytes", "1000"], [:], "--max-outbound-bytes"),
            (["--port", "0"], ["TICKWIRE_MAX_OUTBOUND_BYTES": "lots"], "TICKWIRE_MAX_OUTBOUND_BYTES"),
            (["--port", "0", "--cluster", "mysql://a@b/c"], [:], "--cluster"),
            (["--port", "0", "--advertise", "ws://a:1"], [:], "give --cluster too"),
            (["--port", "0", "--on-stop", "hand-over"], [:], "give --cluster too"),
            (["--port", "0", "--host", "127.0.0.1", "--cluster", "postgres://a@127.0.0.1:1/b", "--on-stop", "vanish"], [:], "--on-stop must be"),
            (["--port", "0", "--cluster", "postgres://a@127.0.0.1:1/c?sslmode=disable", "--advertise", "http://x"], [:], "--advertise must be"),
            // Nothing listens on port 1: the node says it cannot join, and does not start.
            (["--port", "0", "--cluster", "postgres://a@127.0.0.1:1/c?sslmode=disable"], [:], "cluster"),
        ]
        for (arguments, environment, expected) in cases {
            let server = try ServerProcess(["--host", "127.0.0.1"] + arguments, environment: environment)
            if expected.isEmpty {
                _ = try await server.port()
                kill(server.process.processIdentifier, SIGTERM)
                #expect(await server.exitStatus() == 0)
                continue
            }
            let status = await server.exitStatus(within: 30)
            #expect(status != nil && status != 0, "\(arguments) \(environment)")
            #expect(await server.logs(expected), "\(arguments): \(server.stderr)")
        }
    }

    @Test func aBrokenGameIsSkippedNamedAndListedAndTheOthersAreServed() async throws {
        let games = try GameFixture([
            "good/game.lua": "local g = { name = 'good' }\ng.state = { dot = { x = 'u8' } }\nfunction g.tick() end\nreturn g",
            "bad/game.lua": "local g = { name = 'bad' }\ng.state = { dot = { x = 'fixd' } }\nfunction g.tick() end\nreturn g",
            "worse/game.lua": "local g = {\nreturn g",
        ])
        // The folder as the argument, started elsewhere than the project: / still serves the project's page.
        let elsewhere = FileManager.default.temporaryDirectory
        let server = try ServerProcess([games.path, "--host", "127.0.0.1", "--port", "0"], in: elsewhere)
        let port = try await server.port()
        #expect(await server.logs("game skipped", "bad/game.lua:2", "worse/game.lua:"), "\(server.stderr)")
        var http = try RawHTTP(port: port)
        let listed = try http.exchange("GET /games HTTP/1.1\r\nHost: x\r\n\r\n")
        let listing = try #require(try JSONSerialization.jsonObject(with: Data(listed.body)) as? [[String: Any]], "\(listed.text)")
        #expect(listing.map { $0["name"] as? String } == ["bad", "good", "worse"], "\(listed.text)")
        #expect((listing[0]["error"] as? String)?.contains("unknown field type 'fixd'") == true, "\(listed.text)")
        #expect(listing[1]["error"] == nil && listing[1]["tickRate"] as? Int == 30, "\(listed.text)")
        let page = try http.exchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(page.status == 200 && page.text.contains("<html"), "the project's web/ from \(elsewhere.path)")
        let good = try await TickwireConnection.connect("ws://127.0.0.1:\(port)/play?game=good")
        _ = try await good.welcome
        kill(server.process.processIdentifier, SIGTERM)
        #expect(await server.exitStatus() == 0, "\(server.stderr)")
    }

    @Test func aFolderWhereNoGameLoadsStopsTheStartNamingEach() async throws {
        let games = try GameFixture(["bad/game.lua": "local g = {\nreturn g", "worse/game.lua": "return 5"])
        let server = try ServerProcess([games.path, "--port", "0"])
        #expect(await server.exitStatus() == 1)
        #expect(await server.logs("no game in", "bad/game.lua:", "worse/game.lua"), "\(server.stderr)")
    }
}
