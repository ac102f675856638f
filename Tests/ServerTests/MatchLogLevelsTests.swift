import Client
import Foundation
import Logging
@testable import Server
import Testing

/// What a match's rules cause reaches the log at a level an operator can
/// filter on: script failures as errors, the once-per-field warnings as
/// warnings, `print` as info; each tagged with the match and the tick.
@Suite(.timeLimit(.minutes(1))) struct MatchLogLevelsTests {
    /// Keeps every entry logged through it.
    final class CapturedLog: @unchecked Sendable {
        struct Entry {
            let level: Logger.Level
            let message: String
            let metadata: Logger.Metadata
        }

        private let lock = NSLock()
        private var items: [Entry] = []
        var entries: [Entry] { lock.withLock { items } }

        var logger: Logger {
            var logger = Logger(label: "captured") { _ in Handler(log: self) }
            logger.logLevel = .info
            return logger
        }

        func add(_ entry: Entry) { lock.withLock { items.append(entry) } }

        struct Handler: LogHandler {
            let log: CapturedLog
            var metadata: Logger.Metadata = [:]
            var logLevel: Logger.Level = .info
            subscript(metadataKey key: String) -> Logger.Metadata.Value? {
                get { metadata[key] }
                set { metadata[key] = newValue }
            }
            func log(level: Logger.Level, message: Logger.Message, metadata extra: Logger.Metadata?,
                     source: String, file: String, function: String, line: UInt) {
                log.add(Entry(level: level, message: "\(message)", metadata: metadata.merging(extra ?? [:]) { $1 }))
            }
        }
    }

    static let game = """
        local game = { name = "noisy", tick_rate = 30, max_players = 2 }
        game.state = { dot = { x = "u8" } }
        local dot
        function game.init(match) dot = match:spawn("dot", { x = 0 }) end
        function game.join(match, player) return true end
        function game.tick(match, inputs, dt)
          if match.tick == 2 then print("hello at", match.tick) end
          if match.tick == 3 then dot.x = "three" end
          if match.tick == 4 then error("boom") end -- line 9
        end
        return game
        """

    @Test func failuresWarningsAndPrintsHaveTheirLevelsAndTicks() async throws {
        let captured = CapturedLog()
        let live = try await LiveServer(extraGames: ["noisy": Self.game], logger: captured.logger) {
            $0.match.failurePolicy = .skipTick
        }
        defer { Task { await live.stop() } }
        let ann = try await live.connect("/play?game=noisy", name: "Ann")
        let match = try await ann.welcome.matchID
        #expect(try await eventually { captured.entries.contains { $0.level == .error } })
        let mine = captured.entries.filter { $0.metadata["match"] == "\(match)" }
        let printed = try #require(mine.first { $0.message.contains("hello at") }, "\(mine.map(\.message))")
        #expect(printed.level == .info && printed.metadata["tick"] == "2", "\(printed)")
        let warned = try #require(mine.first { $0.message.contains("warning:") }, "\(mine.map(\.message))")
        #expect(warned.level == .warning && warned.message.contains("dot.x"), "\(warned)")
        let failed = try #require(mine.first { $0.level == .error }, "\(mine.map(\.message))")
        #expect(failed.message.contains("game.tick failed at tick 4") && failed.message.contains("game.lua:9: boom"), "\(failed)")
        #expect(failed.metadata["game"] == "noisy")
    }
}
