import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The fan-out floor of this machine, measured in the same run as Tickwire:
/// `tickwire-floor` (Bench/Floor), a plain C epoll server that does only
/// what any game server's fan-out must — one `write()` of one message per
/// player per tick, and reading each player's reply — with its own C load
/// generator, at the same player count, tick rate and message sizes.
///
/// Its server CPU per player-second is the denominator of Tickwire's: what
/// the kernel and the loopback TCP stack cost this machine, with nothing of
/// Tickwire's own (no WebSocket framing, no state, no matches).
struct FanOutFloor {
    let binary: URL

    /// What the floor measured at one player count.
    struct Measurement {
        var players: Int
        var messageBytes: Int
        var replyBytes: Int
        var tickRate: Int
        /// Server and load generator CPU seconds over the window.
        var serverCPU: Double
        var loadCPU: Double
        var window: Double
        /// Over the whole run: messages the server wrote, and ticks it
        /// skipped a connection because its socket was full.
        var written: Int
        var skipped: Int
        /// Over the whole run: what the players read and answered.
        var received: Int
        var replies: Int
        var receivedLength: Int
        var connected: Int
        var errors: Int
        var firstError: String?

        var microsPerPlayerSecond: Double { serverCPU * 1e6 / max(window, 1e-9) / Double(max(1, players)) }
        var clean: Bool { errors == 0 && connected == players && receivedLength == messageBytes }
    }

    /// `tickwire-floor` beside this executable (the same build products
    /// folder), or nil when it was not built.
    static func beside() -> FanOutFloor? {
        let me = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        let binary = me.deletingLastPathComponent().appendingPathComponent("tickwire-floor")
        return FileManager.default.isExecutableFile(atPath: binary.path) ? FanOutFloor(binary: binary) : nil
    }

    /// Starts the floor server, connects `players` with the floor's load
    /// generator, lets them play `warmup` seconds, then measures `seconds`.
    func measure(players: Int, tickRate: Int, messageBytes: Int, replyBytes: Int,
                 warmup: Double, seconds: Double) throws -> Measurement {
        let run = Int((warmup + seconds).rounded(.up)) + 1
        let server = try FloorProcess(binary, ["serve", "--port", "0", "--tick-rate", String(tickRate),
                                               "--message-bytes", String(messageBytes), "--max-seconds", String(run + 120)])
        defer { server.stop() }
        let listening = try server.line(startingWith: "listening on ", within: 10)
        guard let port = listening.split(separator: ":").last.flatMap({ Int($0) }) else {
            throw BenchError("tickwire-floor serve said: \(listening)")
        }
        let load = try FloorProcess(binary, ["load", "--port", String(port), "--players", String(players),
                                             "--reply-bytes", String(replyBytes), "--seconds", String(run)])
        defer { load.stop() }
        _ = try load.line(startingWith: "connected ", within: 60)

        Thread.sleep(forTimeInterval: warmup)
        let (server0, load0, start) = (server.cpuSeconds, load.cpuSeconds, ContinuousClock.now)
        Thread.sleep(forTimeInterval: seconds)
        let (server1, load1, end) = (server.cpuSeconds, load.cpuSeconds, ContinuousClock.now)

        let players = try Self.fields(load.line(startingWith: "floor load: ", within: Double(run) + 30))
        server.stop()
        let served = try Self.fields(server.line(startingWith: "floor serve: ", within: 10))
        return Measurement(
            players: players["players"] ?? 0, messageBytes: messageBytes, replyBytes: replyBytes, tickRate: tickRate,
            serverCPU: server1 - server0, loadCPU: load1 - load0, window: (end - start).seconds,
            written: served["messages"] ?? 0, skipped: served["skipped"] ?? 0,
            received: players["messages"] ?? 0, replies: players["replies"] ?? 0,
            receivedLength: players["message_bytes"] ?? 0, connected: players["connected"] ?? 0,
            errors: players["errors"] ?? 0,
            firstError: load.errorText.split(separator: "\n").first { $0.contains("first error") }.map(String.init))
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
}

/// One `tickwire-floor` child: its stdout read line by line, its stdin a
/// pipe this process holds, so that the child stops at end of file if we go.
private final class FloorProcess: @unchecked Sendable {
    let process = Process()
    private let input = Pipe(), output = Pipe(), errors = Pipe()
    private let lock = NSLock()
    private var text = "", errorBytes = ""
    private var stopped = false

    init(_ binary: URL, _ arguments: [String]) throws {
        process.executableURL = binary
        process.arguments = arguments
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        output.fileHandleForReading.readabilityHandler = { [self] handle in
            let data = handle.availableData
            lock.withLock { text += String(decoding: data, as: UTF8.self) }
        }
        errors.fileHandleForReading.readabilityHandler = { [self] handle in
            let data = handle.availableData
            lock.withLock { errorBytes += String(decoding: data, as: UTF8.self) }
        }
        try process.run()
    }

    var errorText: String { lock.withLock { errorBytes } }
    /// CPU seconds so far, to the nanosecond: the floor runs on one thread,
    /// whose run time /proc/PID/schedstat gives exactly (/proc/PID/stat
    /// rounds to 10 ms, too coarse for a few percent of a core).
    var cpuSeconds: Double {
        let pid = process.processIdentifier
        if let text = try? String(contentsOfFile: "/proc/\(pid)/schedstat", encoding: .utf8),
           let nanoseconds = text.split(separator: " ").first.flatMap({ Double($0) }) {
            return nanoseconds / 1e9
        }
        return FanOutServer.cpuSeconds(pid: pid)
    }

    /// The first complete line of stdout that starts with `prefix`, waiting
    /// up to `seconds` (and not past the child's exit).
    func line(startingWith prefix: String, within seconds: Double) throws -> String {
        let deadline = Date(timeIntervalSinceNow: seconds)
        var exitedAt: Date?
        while Date() < deadline {
            let lines = lock.withLock { text.split(separator: "\n", omittingEmptySubsequences: true) }
            if let found = lines.first(where: { $0.hasPrefix(prefix) }) { return String(found) }
            // After the exit, give the pipe a moment to deliver the last lines.
            if !process.isRunning {
                if let exitedAt, Date().timeIntervalSince(exitedAt) > 1 { break }
                if exitedAt == nil { exitedAt = Date() }
            }
            usleep(10_000)
        }
        let command = ([process.executableURL?.lastPathComponent ?? ""] + (process.arguments ?? [])).joined(separator: " ")
        throw BenchError("\(command) did not say \"\(prefix)…\" in time\n\(lock.withLock { text + errorBytes })")
    }

    /// SIGTERM, then SIGKILL after 10 s; waits for the exit. Our own child only, by its PID.
    func stop() {
        guard !stopped else { return }
        stopped = true
        if process.isRunning {
            process.terminate()
            let deadline = Date(timeIntervalSinceNow: 10)
            while process.isRunning, Date() < deadline { usleep(10_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        try? input.fileHandleForWriting.close()
    }

    deinit {
        stop()
        output.fileHandleForReading.readabilityHandler = nil
        errors.fileHandleForReading.readabilityHandler = nil
    }
}
