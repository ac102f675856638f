import Foundation
import PostgresNIO

/// Where the cluster's PostgreSQL is, from the `postgres://` URL an operator
/// passes to `serve --cluster`: `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`
/// with an optional `?sslmode=disable|prefer|require` (default `prefer`, as
/// libpq). A Unix socket is `postgres://USER@/DATABASE?host=/run/postgresql`.
public struct ClusterDatabaseURL: Sendable, CustomStringConvertible {
    public let username: String
    let password: String?
    public let host: String?
    public let unixSocket: String?
    public let port: Int
    public let database: String
    public let sslMode: SSLMode

    public enum SSLMode: String, Sendable { case disable, prefer, require }

    /// Why a URL is not one: said so an operator can fix the flag.
    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    public init(_ text: String) throws(Invalid) {
        guard let url = URLComponents(string: text), let scheme = url.scheme,
              scheme == "postgres" || scheme == "postgresql" else {
            throw Invalid(description: "\(Self.redacted(text)) is not a postgres:// URL (postgres://USER:PASSWORD@HOST:PORT/DATABASE)")
        }
        guard let user = url.percentEncodedUser.flatMap({ $0.removingPercentEncoding }), !user.isEmpty else {
            throw Invalid(description: "\(Self.redacted(text)) names no user (postgres://USER@HOST/DATABASE)")
        }
        let database = String(url.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else {
            throw Invalid(description: "\(Self.redacted(text)) names no database (postgres://USER@HOST/DATABASE)")
        }
        let query = Dictionary((url.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { $1 })
        for key in query.keys where key != "sslmode" && key != "host" {
            throw Invalid(description: "\(Self.redacted(text)): unknown parameter \(key) (known: sslmode, host)")
        }
        let mode = query["sslmode"] ?? "prefer"
        guard let sslMode = SSLMode(rawValue: mode) else {
            throw Invalid(description: "\(Self.redacted(text)): sslmode must be disable, prefer or require, not \(mode)")
        }
        let socket = query["host"].flatMap { $0.hasPrefix("/") ? $0 : nil }
        let host = url.host.flatMap { $0.isEmpty ? nil : $0 }
        guard host != nil || socket != nil else {
            throw Invalid(description: "\(Self.redacted(text)) names no host (postgres://USER@HOST/DATABASE, or ?host=/socket/folder)")
        }
        let port = url.port ?? 5432
        guard (1...65535).contains(port) else { throw Invalid(description: "\(Self.redacted(text)): port \(port) is out of range") }
        self.username = user
        self.password = url.percentEncodedPassword?.removingPercentEncoding
        self.host = host
        self.unixSocket = socket
        self.port = port
        self.database = database
        self.sslMode = sslMode
    }

    /// postgres-nio's configuration: a Unix socket (its file is
    /// `.s.PGSQL.PORT` in the folder) or TCP with the TLS mode asked for.
    func clientConfiguration() -> PostgresClient.Configuration {
        var configuration: PostgresClient.Configuration
        if let unixSocket {
            configuration = .init(unixSocketPath: "\(unixSocket)/.s.PGSQL.\(port)", username: username,
                                  password: password, database: database)
        } else {
            let tls: PostgresClient.Configuration.TLS = switch sslMode {
            case .disable: .disable
            case .prefer: .prefer(.makeClientConfiguration())
            case .require: .require(.makeClientConfiguration())
            }
            configuration = .init(host: host ?? "127.0.0.1", port: port, username: username, password: password,
                                  database: database, tls: tls)
        }
        configuration.options.connectTimeout = .seconds(5)
        configuration.options.maximumConnections = 4
        return configuration
    }

    /// The URL without its password, for logs and errors.
    public var description: String {
        let at = unixSocket.map { "?host=\($0)" } ?? ""
        return "postgres://\(username)@\(host ?? ""):\(port)/\(database)\(at)"
    }

    private static func redacted(_ text: String) -> String {
        guard var url = URLComponents(string: text), url.password != nil else { return text }
        url.password = "…"
        return url.string ?? "the URL"
    }
}
