import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `tickwire serve` in a child process for the fan-out and cluster
/// benchmarks, with what a benchmark reads from outside it: CPU time from
/// /proc and the tick histogram from `GET /metrics`.
final class FanOutServer {
    let process: Process
    let port: Int
    private let errors: Pipe

    /// Starts `tickwire serve` on 127.0.0.1, port 0, serving `gamesFolder`
    /// (with `extra` flags: a cluster's), and waits (up to 30 s) for its
    /// `listening on http://127.0.0.1:PORT` line.
    init(gamesFolder: String, threads: Int?, extra: [String] = []) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var arguments = ["serve", "--host", "127.0.0.1", "--port", "0", "--games", gamesFolder,
                         "--web", "/nonexistent-tickwire-web", "--log-level", "error", "--max-connections", "100000",
                         // Matches that never end by themselves: every step measures play, not lobbies.
                         "--param", "score_limit=1000000", "--param", "time_limit=1000000"]
        if let threads { arguments += ["--threads", String(threads)] }
        process.arguments = arguments + extra
        process.standardOutput = FileHandle.nullDevice
        errors = Pipe()
        process.standardError = errors
        try process.run()
        let reader = errors.fileHandleForReading
        var text = ""
        var found: Int?
        let deadline = Date().addingTimeInterval(30)
        while found == nil, Date() < deadline, process.isRunning {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
            for line in text.split(separator: "\n") where line.hasPrefix("listening on ") {
                found = line.split(separator: ":").last.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            }
        }
        guard let found else {
            process.terminate()
            throw BenchError("tickwire serve did not start:\n\(text)")
        }
        port = found
        // Keep draining the server's stderr so it never blocks on a full pipe.
        reader.readabilityHandler = { handle in _ = handle.availableData }
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()   // SIGTERM: a graceful shutdown
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        errors.fileHandleForReading.readabilityHandler = nil
    }

    /// User plus system CPU seconds of the server so far (/proc/PID/stat,
    /// fields 14 and 15, in clock ticks).
    static func cpuSeconds(pid: Int32) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state): utime is field 14, stime field 15.
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// The cumulative buckets of `tickwire_tick_duration_seconds` now.
    static func tickBuckets(port: Int) throws -> TickBuckets {
        TickBuckets(prometheus: try get(path: "/metrics", port: port))
    }

    /// A plain HTTP/1.0 GET on loopback; the body.
    static func get(path: String, port: Int) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BenchError("socket: \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw BenchError("cannot reach the server on port \(port): errno \(errno)") }
        let request = Array("GET \(path) HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".utf8)
        guard write(fd, request, request.count) == request.count else { throw BenchError("cannot send GET \(path)") }
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = read(fd, &chunk, chunk.count)
            if n <= 0 { break }
            response += chunk[0..<n]
        }
        let text = String(decoding: response, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { throw BenchError("GET \(path): no HTTP response") }
        return String(text[split.upperBound...])
    }
}

/// A Prometheus histogram's cumulative buckets: (upper bound in seconds, count).
struct TickBuckets {
    var buckets: [(le: Double, count: Double)]

    init(buckets: [(le: Double, count: Double)]) { self.buckets = buckets }

    init(prometheus text: String, name: String = "tickwire_tick_duration_seconds") {
        var found: [(le: Double, count: Double)] = []
        let prefix = "\(name)_bucket{"
        for line in text.split(separator: "\n") where line.hasPrefix(prefix) {
            guard let leStart = line.range(of: "le=\""), let leEnd = line[leStart.upperBound...].firstIndex(of: "\""),
                  let value = line.split(separator: " ").last.flatMap({ Double($0) }) else { continue }
            let le = line[leStart.upperBound..<leEnd]
            found.append((le == "+Inf" ? .infinity : Double(le) ?? .infinity, value))
        }
        buckets = found.sorted { $0.le < $1.le }
    }

    var total: Double { buckets.last?.count ?? 0 }

    /// The ticks between `earlier` and this sample.
    func since(_ earlier: TickBuckets) -> TickBuckets {
        TickBuckets(buckets: buckets.map { b in
            (b.le, b.count - (earlier.buckets.first { $0.le == b.le }?.count ?? 0))
        })
    }

    /// Share of ticks that took at most `seconds` (exact when it is a bucket bound).
    func fraction(atMost seconds: Double) -> Double {
        guard total > 0 else { return 0 }
        return (buckets.last { $0.le <= seconds }?.count ?? 0) / total
    }

    /// The `q` quantile (0...1), interpolated linearly inside its bucket.
    func quantile(_ q: Double) -> Double? {
        guard total > 0 else { return nil }
        let target = q * total
        var previous: (le: Double, count: Double) = (0, 0)
        for b in buckets {
            if b.count >= target {
                guard b.le.isFinite else { return previous.le }
                let inBucket = b.count - previous.count
                return inBucket > 0 ? previous.le + (b.le - previous.le) * (target - previous.count) / inBucket : b.le
            }
            previous = b
        }
        return previous.le
    }
}
