import NIOCore
import NIOSSL
import Protocol

/// How a client connects: credentials, TLS trust, limits and keep-alive.
public struct ClientOptions: Sendable {
    /// A JWT sent as the extra WebSocket subprotocol `tickwire.jwt.<token>`
    /// (browsers cannot set headers on a WebSocket; subprotocols they can).
    /// A server that takes the token from the query (`?token=`) needs
    /// nothing here: put it in the URL.
    public var token: String?
    /// Which servers a `wss://` connection trusts.
    public var trust: TLSTrust = .system
    /// Largest message accepted from the server; the protocol's limit by default.
    public var maxMessageBytes = MessageType.maxMessageBytes
    /// Pings keep NATs open and find dead peers; nil sends none.
    public var pingInterval: TimeAmount? = .seconds(15)
    /// A connection that hears nothing (no message, no pong) this long is closed.
    public var idleTimeout: TimeAmount = .seconds(45)
    public var connectTimeout: TimeAmount = .seconds(10)
    /// Extra headers on the upgrade request (say, `Origin`).
    public var headers: [(name: String, value: String)] = []

    public init(token: String? = nil, trust: TLSTrust = .system) {
        self.token = token
        self.trust = trust
    }

    /// What the client asks for in `Sec-WebSocket-Protocol`.
    public var subprotocols: [String] {
        [ProtocolVersion.subprotocol] + (token.map { ["tickwire.jwt.\($0)"] } ?? [])
    }
}

/// Which servers a TLS client trusts. Building a `NIOSSLContext` loads
/// certificates, so make one `TLSTrust.context()` per run and share it
/// (`.context(_)`) when opening many connections.
public enum TLSTrust: Sendable {
    /// The system's root certificates, with host name checks.
    case system
    /// Only these certificate authorities (PEM file paths), with host name checks.
    case certificateAuthorities([String])
    /// No verification at all: anyone can pretend to be the server. Tests only.
    case noVerification
    /// A context built once, shared by many connections.
    case context(NIOSSLContext)

    public func context() throws(TickwireClientError) -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        switch self {
        case .system: break
        case .certificateAuthorities(let paths):
            do {
                configuration.trustRoots = .certificates(try paths.flatMap { try NIOSSLCertificate.fromPEMFile($0) })
            } catch {
                throw .tls("cannot read the certificate authorities \(paths.joined(separator: ", ")): \(error)")
            }
        case .noVerification:
            configuration.certificateVerification = .none
        case .context(let context):
            return context
        }
        do { return try NIOSSLContext(configuration: configuration) } catch {
            throw .tls("cannot make a TLS context: \(error)")
        }
    }
}
