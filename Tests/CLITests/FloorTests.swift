import Foundation
import Testing

/// `tickwire-floor` (Bench/Floor), the plain C server and load generator
/// that `tickwire bench --fan-out` measures Tickwire against: run briefly on
/// loopback, checked for what they did, never for how fast.
@Suite(.timeLimit(.minutes(1))) struct FloorTests {
    struct BinaryMissing: Error, CustomStringConvertible {
        var description: String { "no tickwire-floor beside tickwire: build it first (swift build --build-tests builds every target)" }
    }

    /// The floor binary from the same build as `tickwire`.
    static let binary: URL? = tickwireBinary.map { $0.deletingLastPathComponent().appendingPathComponent("tickwire-floor") }
        .flatMap { FileManager.default.isExecutableFile(atPath: $0.path) ? $0 : nil }

    /// A floor process whose stdout is collected; stdin is a pipe we hold.
    final class Floor: @unchecked Sendable {
        let process = Process()
        let input = Pipe()
        private let output = Pipe()
        private let lock = NSLock()
        private var collected = Data()

        init(_ arguments: [String]) throws {
            guard let binary = FloorTests.binary else { throw BinaryMissing() }
            process.executableURL = binary
            process.arguments = arguments
            process.standardInput = input
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            output.fileHandleForReading.readabilityHandler = { [self] handle in
                let data = handle.availableData
                lock.withLock { collected.append(data) }
            }
            try process.run()
        }

        var stdout: String { lock.withLock { String(decoding: collected, as: UTF8.self) } }

        /// The first line of stdout starting with `prefix`, within `seconds`.
        func line(_ prefix: String, within seconds: Double = 15) async throws -> String {
            let deadline = Date(timeIntervalSinceNow: seconds)
            while Date() < deadline {
                if let line = stdout.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) { return String(line) }
                try await Task.sleep(for: .milliseconds(20))
            }
            throw LineMissing(prefix: prefix, stdout: stdout)
        }

        /// Waits for the exit; ends the process (ours, by its PID) after `seconds`.
        func exited(within seconds: Double = 10) async -> Bool {
            let deadline = Date(timeIntervalSinceNow: seconds)
            while process.isRunning, Date() < deadline { try? await Task.sleep(for: .milliseconds(20)) }
            guard process.isRunning else { return true }
            kill(process.processIdentifier, SIGKILL)
            return false
        }

        deinit {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            output.fileHandleForReading.readabilityHandler = nil
        }
    }

    struct LineMissing: Error, CustomStringConvertible {
        var prefix: String
        var stdout: String
        var description: String { "no line starting with \"\(prefix)\" in:\n\(stdout)" }
    }

    /// The `key=value` integers of a summary line.
    static func fields(_ line: String) -> [String: Int] {
        var found: [String: Int] = [:]
        for word in line.split(separator: " ") {
            let pair = word.split(separator: "=", maxSplits: 1)
            if pair.count == 2, let value = Int(pair[1]) { found[String(pair[0])] = value }
        }
        return found
    }

    @Test func everyPlayerGetsMessagesOfTheSizeAndTheServerReadsEveryReply() async throws {
        let server = try Floor(["serve", "--port", "0", "--tick-rate", "30", "--message-bytes", "250", "--max-seconds", "30"])
        let listening = try await server.line("listening on 127.0.0.1:")
        let port = try #require(listening.split(separator: ":").last.map(String.init))

        let load = try Floor(["load", "--port", port, "--players", "20", "--reply-bytes", "24", "--seconds", "1"])
        #expect(try await load.line("connected ") == "connected 20")
        let players = Self.fields(try await load.line("floor load: "))
        #expect(await load.exited())
        #expect(load.process.terminationStatus == 0)
        #expect(players["players"] == 20 && players["connected"] == 20, "\(players)")
        #expect(players["message_bytes"] == 250, "\(players)")
        #expect(players["silent"] == 0, "every connection got whole messages: \(players)")
        #expect(players["errors"] == 0, "\(players)")
        let messages = try #require(players["messages"])
        #expect(messages >= 20 && players["replies"] == messages, "one reply per message: \(players)")

        // End of file on stdin stops the server, which then counts every reply it read.
        try server.input.fileHandleForWriting.close()
        let served = Self.fields(try await server.line("floor serve: "))
        #expect(await server.exited())
        #expect(served["connections"] == 20, "\(served)")
        #expect(served["bytes_read"] == messages * 24, "the server read every reply: \(served)")
        #expect((served["messages"] ?? 0) >= messages, "\(served)")
    }

    @Test func sigtermStopsTheServerWithItsSummary() async throws {
        let server = try Floor(["serve", "--port", "0", "--max-seconds", "30"])
        _ = try await server.line("listening on 127.0.0.1:")
        server.process.terminate()
        let served = Self.fields(try await server.line("floor serve: "))
        #expect(await server.exited())
        #expect(server.process.terminationStatus == 0)
        #expect(served["connections"] == 0, "\(served)")
    }

    @Test func unknownOptionsAreRefused() async throws {
        let load = try Floor(["load", "--port", "1", "--bogus", "1"])
        #expect(await load.exited())
        #expect(load.process.terminationStatus == 2)
    }
}
