#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

public struct TestPostgresError: Error, CustomStringConvertible {
    public let description: String
}

/// A throwaway PostgreSQL server: its own directory /tmp/tickwire-pg-<pid>-…
/// (data, log, Unix socket), superuser `tickwire` with trust authentication,
/// 127.0.0.1 on a free port, fsync off. One server can serve many tests,
/// each in its own database (`createDatabase`).
///
/// The server is `postgres` itself, run in the foreground as a child of this
/// process (no pg_ctl, no daemon): its output goes to the directory's log,
/// it is ready when its postmaster.pid says so and its port takes a
/// connection, and it is stopped by a signal to it.
///
/// PostgreSQL refuses to run as root, and the tests run as root in CI: then
/// the server's programs (initdb and the server) run as the `postgres`
/// system user that Debian's package creates (or `tickwire-pg`, created here
/// when there is none) through setpriv, which execs them (so the server's
/// pid is the child's and signals reach it), and the directory is theirs.
/// Clients (psql) run as whoever runs the tests: they only connect over TCP.
///
/// `start()` gives nil when PostgreSQL is not installed, unless
/// TICKWIRE_REQUIRE_POSTGRES=1 (scripts/test sets it after installing
/// Debian's `postgresql`): then that is an error. Every program run here has
/// a bounded wait, and an error says what ran and its output (the server's:
/// the tail of what it logged since it was started).
///
/// `stop()` (deinit too) ends the server and removes the directory. A test
/// process that died first leaves both behind: the first `start()` of a later
/// process stops and removes them when the process named in the directory is
/// gone. Nothing else is ever stopped: only servers in directories made here.
public final class TestPostgres: @unchecked Sendable {
    public let host = "127.0.0.1"
    public let port: Int
    public let username = "tickwire"
    public let database = "postgres"
    /// The server's directory: data/, log, the Unix socket. Gone after `stop()`.
    public let directory: String
    /// Where initdb, postgres and psql were found.
    public let binDirectory: String

    private let tools: Tools
    private let user: ServerUser?
    private let lock = NSLock()
    /// The running server; nil while stopped (and before the first start).
    private var server: Child?
    private var removed = false

    public var url: String { url(database: database) }

    public func url(database: String) -> String { "postgres://\(username)@\(host):\(port)/\(database)" }

    private init(tools: Tools, user: ServerUser?, directory: String, port: Int) {
        self.tools = tools
        self.user = user
        self.directory = directory
        self.port = port
        binDirectory = tools.directory
    }

    deinit { stop() }

    /// A new server, running and accepting connections; nil when PostgreSQL
    /// is not installed and TICKWIRE_REQUIRE_POSTGRES is not 1.
    public static func start() throws -> TestPostgres? {
        guard let tools = Tools.found else {
            guard ProcessInfo.processInfo.environment["TICKWIRE_REQUIRE_POSTGRES"] == "1" else { return nil }
            throw TestPostgresError(description: """
                PostgreSQL is not installed (no initdb, postgres and psql together in \
                /usr/lib/postgresql/*/bin or on PATH) and TICKWIRE_REQUIRE_POSTGRES=1: install \
                Debian's postgresql (scripts/test does)
                """)
        }
        let user = try ServerUser.forThisProcess()
        StaleServers.removeOnce()

        var template = Array("/tmp/tickwire-pg-\(getpid())-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw TestPostgresError(description: "mkdtemp /tmp/tickwire-pg-…: errno \(errno)")
        }
        let directory = String(cString: made)
        do {
            chmod(directory, 0o755)
            if let user, chown(directory, user.uid, user.gid) != 0 {
                throw TestPostgresError(description: "chown \(directory) to \(user.name): errno \(errno)")
            }
            _ = try run(tools.path("initdb"), [
                "-D", "\(directory)/data", "-U", "tickwire", "--auth=trust",
                "-E", "UTF8", "--locale=C", "--no-sync",
            ], as: user, in: directory)
            // The port is free when picked but may be taken before the server
            // binds it: then try another.
            var attempt = 0
            while true {
                attempt += 1
                let port = try freePort()
                let server = TestPostgres(tools: tools, user: user, directory: directory, port: port)
                do {
                    try server.launch()
                    return server
                } catch let error as TestPostgresError where attempt < 5 && error.description.contains("already in use") {
                    server.removed = true  // the directory is still needed: not this one's to remove
                    continue
                } catch {
                    server.removed = true
                    throw error
                }
            }
        } catch {
            // Belt and braces: a failed launch ends its server before throwing.
            stopImmediately(directory: directory)
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
    }

    /// Creates database `name` (owned by `tickwire`).
    public func createDatabase(_ name: String) throws {
        _ = try psql("CREATE DATABASE \"\(name.replacingOccurrences(of: "\"", with: "\"\""))\"")
    }

    /// Runs `sql` with psql in `database` and returns its output: unaligned,
    /// tuples only (`select 1` gives "1\n"). Throws when psql fails,
    /// including on the first SQL error.
    public func psql(_ sql: String, database: String? = nil) throws -> String {
        try Self.run(tools.path("psql"), [
            "-X", "-q", "-A", "-t", "-w", "-v", "ON_ERROR_STOP=1",
            "-h", host, "-p", String(port), "-U", username, "-d", database ?? self.database,
            "-c", sql,
        ], as: nil, in: "/", limit: 60)
    }

    /// Stops the server (a fast shutdown, SIGINT: connections are ended,
    /// committed data kept) and keeps the directory, for `startServer()`.
    /// A server still running after 30 s is killed (SIGKILL).
    public func stopServer() throws {
        try lock.withLock {
            guard !removed else { throw TestPostgresError(description: "stopServer: this server was stopped for good") }
            guard let server else { return }
            try end(server, with: SIGINT, within: 30)
            self.server = nil
        }
    }

    /// Starts the server again on the same port and data after `stopServer()`.
    public func startServer() throws {
        try lock.withLock {
            guard !removed else { throw TestPostgresError(description: "startServer: this server was stopped for good") }
            if let server, !server.hasExited { return }
            server = nil
            try launch()
        }
    }

    /// `stopServer()` then `startServer()`.
    public func restart() throws {
        try stopServer()
        try startServer()
    }

    /// Stops the server at once (an immediate shutdown, SIGQUIT; SIGKILL
    /// after 10 s) and removes its directory. Safe to call again; deinit
    /// calls it.
    public func stop() {
        lock.withLock {
            guard !removed else { return }
            removed = true
            if let server {
                try? end(server, with: SIGQUIT, within: 10)
                self.server = nil
            }
            // Whatever postmaster.pid still names, should a child have been
            // lost (not expected; cheap to rule out).
            Self.stopImmediately(directory: directory)
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    private var dataDirectory: String { "\(directory)/data" }
    private var logFile: String { "\(directory)/log" }

    /// Runs postgres in the foreground on `port` and waits (30 s at most)
    /// until it accepts connections; sets `server`. Throws, with the log
    /// this start wrote, when postgres exits first (on a port already in use,
    /// say) or is not ready in time: then it has been stopped.
    private func launch() throws {
        let log = open(logFile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard log >= 0 else { throw TestPostgresError(description: "open \(logFile): errno \(errno)") }
        if let user { _ = fchown(log, user.uid, user.gid) }
        let logStart = lseek(log, 0, SEEK_END)
        // The child has its own copy: this one is closed once it runs.
        let output = FileHandle(fileDescriptor: log, closeOnDealloc: true)

        let command = try (user?.prefix() ?? []) + [tools.path("postgres"),
            "-D", dataDirectory, "-p", String(port), "-k", directory,
            "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=200",
        ]
        let commandLine = command.joined(separator: " ")
        let child: Child
        do {
            defer { try? output.close() }
            child = try Child(command, environment: Self.environment, directory: directory, stdout: output, stderr: output)
        } catch {
            throw TestPostgresError(description: "\(commandLine): could not run: \(error)")
        }

        func failure(_ what: String) -> TestPostgresError {
            var description = "\(commandLine): \(what)"
            if let text = Self.contents(of: logFile, from: logStart) { description += "\n--- \(logFile) (this start):\n\(text)" }
            return TestPostgresError(description: description)
        }
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            if child.hasExited {
                throw failure("\(child.outcome) before accepting connections")
            }
            if isReady(pid: child.pid) && Self.accepts(port: port) {
                server = child
                return
            }
            if ContinuousClock.now >= deadline {
                try? end(child, with: SIGQUIT, within: 10)
                throw failure("not accepting connections after 30 s, stopped")
            }
            usleep(20_000)
        }
    }

    /// postmaster.pid names `pid` and says "ready" (its 8th line), as
    /// pg_ctl's wait reads it: the server accepts connections.
    private func isReady(pid: pid_t) -> Bool {
        guard let text = try? String(contentsOfFile: "\(dataDirectory)/postmaster.pid", encoding: .utf8) else { return false }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        return lines.count >= 8
            && pid_t(lines[0].trimmingCharacters(in: .whitespaces)) == pid
            && lines[7].trimmingCharacters(in: .whitespaces) == "ready"
    }

    /// Sends `signal` to the server `child` and waits `limit` seconds for it
    /// to exit; then SIGKILL and 10 s more. Throws when it is still running.
    private func end(_ child: Child, with signal: Int32, within limit: Double) throws {
        child.signal(signal)
        if child.waitForExit(seconds: limit) { return }
        child.signal(SIGKILL)
        if child.waitForExit(seconds: 10) { return }
        throw TestPostgresError(description: "postgres (pid \(child.pid)) still running \(limit + 10) s after signal \(signal) and SIGKILL")
    }

    /// When a server of `directory` runs (one of a test process that died,
    /// whose child it no longer is): SIGQUIT to it (an immediate shutdown),
    /// and SIGKILL if it still runs after 10 s.
    fileprivate static func stopImmediately(directory: String) {
        guard let pid = serverProcess(directory: directory) else { return }
        kill(pid, SIGQUIT)
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if serverProcess(directory: directory) != pid { return }
            usleep(20_000)
        }
        if serverProcess(directory: directory) == pid { kill(pid, SIGKILL) }
    }

    /// The running server of `directory`: the pid in data/postmaster.pid, when
    /// that process is alive and, where /proc tells, works in that data
    /// directory (the server changes to it). A pid file left by a dead server
    /// may name a process that is not PostgreSQL's: never that one.
    private static func serverProcess(directory: String) -> pid_t? {
        let data = "\(directory)/data"
        guard let text = try? String(contentsOfFile: "\(data)/postmaster.pid", encoding: .utf8),
              let first = text.split(separator: "\n").first,
              let pid = pid_t(first.trimmingCharacters(in: .whitespaces)), pid > 0,
              kill(pid, 0) == 0 || errno == EPERM
        else { return nil }
        #if os(Linux)
        guard let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd") else { return nil }
        let resolved = URL(fileURLWithPath: data).resolvingSymlinksInPath().path
        guard cwd == data || cwd == resolved else { return nil }
        #endif
        return pid
    }

    /// The environment of every program run here: this process's, without
    /// PG* variables of the caller's shell (they must not point the programs
    /// elsewhere), and a bounded connect for clients.
    private static var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") }
        environment["PGCONNECT_TIMEOUT"] = "10"
        return environment
    }

    /// Runs `executable` (as `user` when given, from `directory`), waits at
    /// most `limit` seconds and returns its standard output. Throws when it
    /// fails or overruns (then it is stopped), with its output.
    ///
    /// Foundation's Process, which learns of an exit when a socket its child
    /// inherits closes: every holder of that socket must end first. Nothing
    /// run here outlives its run (no pg_ctl, whose daemonized server kept the
    /// socket open, so a wait for `pg_ctl start` never ended), and the server
    /// is postgres in the foreground, the very child Process watches (setpriv
    /// execs it), whose own children end before it does.
    fileprivate static func run(
        _ executable: String, _ arguments: [String], as user: ServerUser?, in directory: String,
        limit: Double = 60
    ) throws -> String {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("tw-pg-\(UUID().uuidString)").path
        let outPath = base + ".out", errPath = base + ".err"
        defer {
            unlink(outPath)
            unlink(errPath)
        }
        let command = try (user?.prefix() ?? []) + [executable] + arguments
        let commandLine = command.joined(separator: " ")

        // Output to files, read once the program is done: no pipe to fill.
        let out = open(outPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        let err = open(errPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard out >= 0, err >= 0 else {
            let error = errno
            if out >= 0 { close(out) }
            if err >= 0 { close(err) }
            throw TestPostgresError(description: "\(commandLine): could not create \(outPath) or \(errPath): errno \(error)")
        }
        let outHandle = FileHandle(fileDescriptor: out, closeOnDealloc: true)
        let errHandle = FileHandle(fileDescriptor: err, closeOnDealloc: true)

        let child: Child
        do {
            // The child has its own copies: these are closed once it runs.
            defer {
                try? outHandle.close()
                try? errHandle.close()
            }
            child = try Child(command, environment: environment, directory: directory, stdout: outHandle, stderr: errHandle)
        } catch {
            throw TestPostgresError(description: "\(commandLine): could not run: \(error)")
        }
        var outcome: String?
        if !child.waitForExit(seconds: limit) {
            child.signal(SIGTERM)
            if !child.waitForExit(seconds: 5) {
                child.signal(SIGKILL)
                _ = child.waitForExit(seconds: 30)
            }
            outcome = "still running after \(limit) s, stopped"
        } else if child.outcome != .exited(0) {
            outcome = child.outcome.description
        }
        let stdout = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        guard let outcome else { return stdout }

        let stderr = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        var description = "\(commandLine): \(outcome)"
        description += "\n--- output:\n\(stdout)\(stderr)"
        throw TestPostgresError(description: description)
    }

    /// The last `bytes` of `path` from offset `start` on; nil when unreadable.
    private static func contents(of path: String, from start: off_t, bytes: Int = 4000) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let since = data.dropFirst(max(0, Int(start)))
        return String(decoding: since.suffix(bytes), as: UTF8.self)
    }

    /// Whether a TCP connection to 127.0.0.1:`port` is accepted (closed at once).
    private static func accepts(port: Int) -> Bool {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    /// A TCP port on 127.0.0.1 free right now: bound with port 0, read, closed.
    private static func freePort() throws -> Int {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw TestPostgresError(description: "socket: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else { throw TestPostgresError(description: "bind 127.0.0.1:0: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// initdb, postgres and psql in one directory: Debian's
/// /usr/lib/postgresql/<version>/bin, highest version first, else PATH.
fileprivate struct Tools: Sendable {
    let directory: String

    func path(_ name: String) -> String { "\(directory)/\(name)" }

    static let found: Tools? = {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [])
            .sorted { key($0).lexicographicallyPrecedes(key($1)) }
        var candidates = versions.reversed().map { "\(root)/\($0)/bin" }
        candidates += (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        return candidates.first { directory in
            ["initdb", "postgres", "psql"].allSatisfy { FileManager.default.isExecutableFile(atPath: "\(directory)/\($0)") }
        }.map(Tools.init)
    }()

    /// "9.6" < "15" < "16.1": numeric parts, compared in order.
    private static func key(_ version: String) -> [Int] { version.split(separator: ".").map { Int($0) ?? -1 } }
}

/// The user the server's programs run as when this process is root.
fileprivate struct ServerUser: Sendable {
    let name: String
    let uid: uid_t
    let gid: gid_t

    /// nil when not root; else `postgres`, or `tickwire-pg` (created if missing).
    static func forThisProcess() throws -> ServerUser? {
        guard getuid() == 0 else { return nil }
        if let user = lookUp("postgres") ?? lookUp("tickwire-pg") { return user }
        let useradd = ["/usr/sbin/useradd", "/sbin/useradd", "/usr/bin/useradd"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let useradd else {
            throw TestPostgresError(description: "running as root, PostgreSQL must run as another user: no user postgres and no useradd to create tickwire-pg")
        }
        do {
            _ = try TestPostgres.run(useradd, [
                "--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", "tickwire-pg",
            ], as: nil, in: "/")
        } catch {
            // Another test process may have created it just now.
            guard let user = lookUp("tickwire-pg") else { throw error }
            return user
        }
        guard let user = lookUp("tickwire-pg") else { throw TestPostgresError(description: "useradd tickwire-pg succeeded but the user is not found") }
        return user
    }

    private static func lookUp(_ name: String) -> ServerUser? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16384)
        guard getpwnam_r(name, &entry, &buffer, buffer.count, &result) == 0, result != nil else { return nil }
        return ServerUser(name: name, uid: entry.pw_uid, gid: entry.pw_gid)
    }

    /// The command prefix that runs a program as this user: setpriv, which
    /// execs the program (its pid is the child's). Not runuser nor su
    /// (util-linux 2.38): they stay the program's parent and pass on no
    /// signal as sent: runuser blocks SIGINT and SIGQUIT, su turns them into
    /// SIGTERM, and both answer SIGTERM with SIGTERM and SIGKILL 2 s later,
    /// so neither a fast nor an immediate shutdown could be asked for.
    func prefix() throws -> [String] {
        guard let setpriv = ["/usr/bin/setpriv", "/bin/setpriv"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw TestPostgresError(description: "running as root, PostgreSQL must run as \(name): setpriv (util-linux) is not installed")
        }
        return [setpriv, "--reuid=\(uid)", "--regid=\(gid)", "--init-groups", "--"]
    }
}

/// One program run by Foundation's Process (stdin /dev/null, stdout and
/// stderr to the handles given, no other descriptor of ours: Process closes
/// them in the child), and its exit, which can be waited for with a bound.
private final class Child: @unchecked Sendable {
    enum Outcome: Equatable, CustomStringConvertible {
        case running
        case exited(Int32)
        case signaled(Int32)

        var description: String {
            switch self {
            case .running: "still running"
            case .exited(let status): "exit status \(status)"
            case .signaled(let signal): "killed by signal \(signal)"
            }
        }
    }

    /// Set once, by Process's termination handler.
    private final class Exit: @unchecked Sendable {
        let condition = NSCondition()
        var outcome = Outcome.running
    }

    private let process = Process()
    private let exit = Exit()
    let pid: pid_t

    init(_ command: [String], environment: [String: String], directory: String, stdout: FileHandle, stderr: FileHandle) throws {
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        process.environment = environment
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = stdout
        process.standardError = stderr
        let exit = self.exit
        process.terminationHandler = { process in
            let outcome: Outcome = process.terminationReason == .exit
                ? .exited(process.terminationStatus) : .signaled(process.terminationStatus)
            exit.condition.withLock {
                exit.outcome = outcome
                exit.condition.broadcast()
            }
        }
        try process.run()
        pid = process.processIdentifier
    }

    var outcome: Outcome { exit.condition.withLock { exit.outcome } }

    var hasExited: Bool { outcome != .running }

    /// Waits at most `seconds` for the exit; whether it came.
    func waitForExit(seconds: Double) -> Bool {
        let deadline = Date(timeIntervalSinceNow: seconds)
        return exit.condition.withLock {
            while exit.outcome == .running {
                if !exit.condition.wait(until: deadline) { break }
            }
            return exit.outcome != .running
        }
    }

    /// Sends `signal` unless it has exited (then the pid may be another's).
    func signal(_ signal: Int32) {
        exit.condition.withLock {
            if exit.outcome == .running { kill(pid, signal) }
        }
    }
}

/// Servers left by test processes that died before `stop()`: their
/// directories are /tmp/tickwire-pg-<pid>-…, and a directory whose process
/// is gone is stopped (a signal to the server its postmaster.pid names) and
/// removed, once per process.
fileprivate enum StaleServers {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var done = false

    static func removeOnce() {
        lock.withLock {
            guard !done else { return }
            done = true
            let names = (try? FileManager.default.contentsOfDirectory(atPath: "/tmp")) ?? []
            for name in names where name.hasPrefix("tickwire-pg-") {
                let parts = name.dropFirst("tickwire-pg-".count).split(separator: "-")
                guard parts.count == 2, let pid = pid_t(parts[0]), pid > 0, pid != getpid() else { continue }
                // Alive (or someone else's to signal): not stale.
                if kill(pid, 0) == 0 || errno == EPERM { continue }
                let directory = "/tmp/\(name)"
                TestPostgres.stopImmediately(directory: directory)
                try? FileManager.default.removeItem(atPath: directory)
            }
        }
    }
}
