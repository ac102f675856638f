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
/// PostgreSQL refuses to run as root, and the tests run as root in CI: then
/// the server's programs (initdb, pg_ctl and the server) run as the
/// `postgres` system user that Debian's package creates (or `tickwire-pg`,
/// created here when there is none) through runuser, and the directory is
/// theirs. Clients (psql) run as whoever runs the tests: they only connect
/// over TCP.
///
/// `start()` gives nil when PostgreSQL is not installed, unless
/// TICKWIRE_REQUIRE_POSTGRES=1 (scripts/test sets it after installing
/// Debian's `postgresql`): then that is an error. Every program run here has
/// a bounded wait, and an error says what ran, its output and the log's tail.
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
    /// Where initdb, pg_ctl, postgres and psql were found.
    public let binDirectory: String

    private let tools: Tools
    private let user: ServerUser?
    private let lock = NSLock()
    private var serverUp = true
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
                PostgreSQL is not installed (no initdb, pg_ctl, postgres and psql together in \
                /usr/lib/postgresql/*/bin or on PATH) and TICKWIRE_REQUIRE_POSTGRES=1: install \
                Debian's postgresql (scripts/test does)
                """)
        }
        let user = try ServerUser.forThisProcess()
        StaleServers.removeOnce(tools: tools, user: user)

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
                    try server.pgCtlStart()
                    return server
                } catch let error as TestPostgresError where attempt < 5 && error.description.contains("already in use") {
                    server.serverUp = false
                    server.removed = true  // the directory is still needed: not this one's to remove
                    continue
                } catch {
                    server.serverUp = false
                    server.removed = true
                    throw error
                }
            }
        } catch {
            // A start that timed out may have left the server running.
            stopImmediately(tools: tools, user: user, directory: directory)
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

    /// Stops the server (a fast shutdown: connections are ended, committed
    /// data kept) and keeps the directory, for `startServer()`.
    public func stopServer() throws {
        try lock.withLock {
            guard !removed else { throw TestPostgresError(description: "stopServer: this server was stopped for good") }
            guard serverUp else { return }
            _ = try Self.run(tools.path("pg_ctl"), ["-D", dataDirectory, "-m", "fast", "-w", "-t", "30", "stop"], as: user, in: directory, log: logFile)
            serverUp = false
        }
    }

    /// Starts the server again on the same port and data after `stopServer()`.
    public func startServer() throws {
        try lock.withLock {
            guard !removed else { throw TestPostgresError(description: "startServer: this server was stopped for good") }
            guard !serverUp else { return }
            try pgCtlStart()
            serverUp = true
        }
    }

    /// `stopServer()` then `startServer()`.
    public func restart() throws {
        try stopServer()
        try startServer()
    }

    /// Stops the server at once and removes its directory. Safe to call
    /// again; deinit calls it.
    public func stop() {
        lock.withLock {
            guard !removed else { return }
            removed = true
            serverUp = false
            // Even when believed down: a start that timed out may have left it running.
            Self.stopImmediately(tools: tools, user: user, directory: directory)
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    private var dataDirectory: String { "\(directory)/data" }
    private var logFile: String { "\(directory)/log" }

    private func pgCtlStart() throws {
        let options = "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        _ = try Self.run(tools.path("pg_ctl"), [
            "-D", dataDirectory, "-l", logFile, "-w", "-t", "30", "-o", options, "start",
        ], as: user, in: directory, log: logFile)
    }

    /// When the server of `directory` runs: `pg_ctl stop -m immediate`, and
    /// SIGKILL to it if that fails.
    fileprivate static func stopImmediately(tools: Tools, user: ServerUser?, directory: String) {
        guard let pid = serverProcess(directory: directory) else { return }
        do {
            _ = try run(tools.path("pg_ctl"), ["-D", "\(directory)/data", "-m", "immediate", "-w", "-t", "30", "stop"], as: user, in: directory)
        } catch {
            if serverProcess(directory: directory) == pid { kill(pid, SIGKILL) }
        }
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

    /// Runs `executable` (as `user` when given, from `directory`), waits at
    /// most `limit` seconds and returns its standard output. Throws when it
    /// fails or overruns, with its output and `log`'s tail.
    ///
    /// Not Foundation's Process: that learns of an exit when a socket its
    /// child inherits closes, and `pg_ctl start` leaves the server holding
    /// it, so the wait never ended. Spawn waits on the pid and gives the
    /// child no descriptor but stdin, stdout and stderr.
    fileprivate static func run(
        _ executable: String, _ arguments: [String], as user: ServerUser?, in directory: String,
        limit: Double = 60, log: String? = nil
    ) throws -> String {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("tw-pg-\(UUID().uuidString)").path
        let outPath = base + ".out", errPath = base + ".err"
        defer {
            unlink(outPath)
            unlink(errPath)
        }
        let command = try (user?.prefix() ?? []) + [executable] + arguments
        let commandLine = command.joined(separator: " ")
        // PG* variables of the caller's shell must not point the programs elsewhere.
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") }
        environment["PGCONNECT_TIMEOUT"] = "10"

        let outcome: Spawn.Outcome
        do {
            outcome = try Spawn.run(command, environment: environment, directory: directory, stdout: outPath, stderr: errPath, limit: limit)
        } catch {
            throw TestPostgresError(description: "\(commandLine): \(error)")
        }
        let stdout = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        guard outcome != .exited(0) else { return stdout }

        let stderr = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        var description = "\(commandLine): \(outcome)"
        description += "\n--- output:\n\(stdout)\(stderr)"
        if let log, let tail = tail(of: log) { description += "\n--- \(log) (tail):\n\(tail)" }
        throw TestPostgresError(description: description)
    }

    private static func tail(of path: String, bytes: Int = 4000) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return String(decoding: data.suffix(bytes), as: UTF8.self)
    }

    /// A TCP port on 127.0.0.1 free right now: bound with port 0, read, closed.
    private static func freePort() throws -> Int {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
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

/// initdb, pg_ctl, postgres and psql in one directory: Debian's
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
            ["initdb", "pg_ctl", "postgres", "psql"].allSatisfy { FileManager.default.isExecutableFile(atPath: "\(directory)/\($0)") }
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

    /// The command prefix that runs a program as this user.
    func prefix() throws -> [String] {
        if let runuser = ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) {
            return [runuser, "-u", name, "--"]
        }
        if let setpriv = ["/usr/bin/setpriv", "/bin/setpriv"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) {
            return [setpriv, "--reuid=\(uid)", "--regid=\(gid)", "--init-groups", "--"]
        }
        throw TestPostgresError(description: "running as root, PostgreSQL must run as \(name): neither runuser nor setpriv is installed")
    }
}

/// Servers left by test processes that died before `stop()`: their
/// directories are /tmp/tickwire-pg-<pid>-…, and a directory whose process
/// is gone is stopped (pg_ctl on its own data) and removed, once per process.
fileprivate enum StaleServers {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var done = false

    static func removeOnce(tools: Tools, user: ServerUser?) {
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
                TestPostgres.stopImmediately(tools: tools, user: user, directory: directory)
                try? FileManager.default.removeItem(atPath: directory)
            }
        }
    }
}

/// One program run to its end, bounded in time: posix_spawn with stdin from
/// /dev/null, stdout and stderr to files, every other descriptor closed,
/// default signal handling; then waitpid on its pid.
fileprivate enum Spawn {
    enum Outcome: Equatable, CustomStringConvertible {
        case exited(Int32)
        case signaled(Int32)
        case overran(Double)

        var description: String {
            switch self {
            case .exited(let status): "exit status \(status)"
            case .signaled(let signal): "killed by signal \(signal)"
            case .overran(let limit): "still running after \(limit) s, stopped"
            }
        }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    #if canImport(Glibc)
    private typealias Actions = posix_spawn_file_actions_t
    private typealias Attributes = posix_spawnattr_t
    #else
    private typealias Actions = posix_spawn_file_actions_t?
    private typealias Attributes = posix_spawnattr_t?
    #endif
    private typealias AddChdir = @convention(c) (UnsafeMutablePointer<Actions>, UnsafePointer<CChar>) -> Int32
    private typealias AddClosefrom = @convention(c) (UnsafeMutablePointer<Actions>, Int32) -> Int32

    /// glibc's (2.29, 2.34) and Darwin's extensions, which Swift does not import.
    private static let addChdir: AddChdir? =
        dlsym(dlopen(nil, RTLD_NOW), "posix_spawn_file_actions_addchdir_np").map { unsafeBitCast($0, to: AddChdir.self) }
    private static let addClosefrom: AddClosefrom? =
        dlsym(dlopen(nil, RTLD_NOW), "posix_spawn_file_actions_addclosefrom_np").map { unsafeBitCast($0, to: AddClosefrom.self) }

    static func run(
        _ command: [String], environment: [String: String], directory: String,
        stdout: String, stderr: String, limit: Double
    ) throws -> Outcome {
        let out = open(stdout, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        let err = open(stderr, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        defer {
            if out >= 0 { close(out) }
            if err >= 0 { close(err) }
        }
        guard out >= 0, err >= 0 else { throw Failure(description: "could not create \(stdout) or \(stderr): errno \(errno)") }
        guard let addChdir else { throw Failure(description: "posix_spawn_file_actions_addchdir_np is missing") }

        var actions = Actions()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        _ = addChdir(&actions, directory)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, out, 1)
        posix_spawn_file_actions_adddup2(&actions, err, 2)
        var attributes = Attributes()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var flags = Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        #if canImport(Glibc)
        _ = addClosefrom.map { $0(&actions, 3) }
        #else
        flags |= Int32(POSIX_SPAWN_CLOEXEC_DEFAULT)
        #endif
        var signals = sigset_t()
        sigemptyset(&signals)
        posix_spawnattr_setsigmask(&attributes, &signals)
        sigfillset(&signals)
        sigdelset(&signals, SIGKILL)
        sigdelset(&signals, SIGSTOP)
        posix_spawnattr_setsigdefault(&attributes, &signals)
        posix_spawnattr_setflags(&attributes, Int16(flags))

        let argv = command.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, command[0], &actions, &attributes, argv, envp)
        guard spawned == 0 else { throw Failure(description: "could not run: \(String(cString: strerror(spawned)))") }

        let deadline = ContinuousClock.now + .milliseconds(Int(limit * 1000))
        if let status = wait(pid, until: deadline) { return outcome(status) }
        kill(pid, SIGTERM)
        if wait(pid, until: .now + .seconds(5)) == nil {
            kill(pid, SIGKILL)
            _ = wait(pid, until: nil)
        }
        return .overran(limit)
    }

    /// The wait status of `pid` once it exits, or nil at `deadline`.
    private static func wait(_ pid: pid_t, until deadline: ContinuousClock.Instant?) -> Int32? {
        var status: Int32 = 0
        while true {
            let result = waitpid(pid, &status, deadline == nil ? 0 : WNOHANG)
            if result == pid { return status }
            if result < 0 && errno != EINTR { return status }
            if let deadline, ContinuousClock.now >= deadline { return nil }
            if result == 0 { usleep(5_000) }
        }
    }

    private static func outcome(_ status: Int32) -> Outcome {
        status & 0x7f == 0 ? .exited((status >> 8) & 0xff) : .signaled(status & 0x7f)
    }
}
