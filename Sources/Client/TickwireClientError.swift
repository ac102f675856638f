import Protocol
import WebSocket

/// Why a client could not connect, or lost its connection.
///
/// A struct around a private enum so new cases do not break callers; what a
/// caller acts on is exposed as properties (`httpStatus`, `serverError`, …).
public struct TickwireClientError: Error, Sendable, CustomStringConvertible {
    private enum Reason: Sendable {
        case badURL(String, String)
        /// No connection: refused, unreachable, timed out, closed mid-handshake.
        case connection(String)
        /// The connection broke after the upgrade.
        case transport(String)
        /// The server answered the upgrade with a plain HTTP response.
        case handshakeRefused(status: Int, reason: String, body: String)
        /// `POST /matchmake` answered with no ticket.
        case noTicket(status: Int, body: String)
        /// The server switched protocols, but not to ours.
        case subprotocol(String?)
        case upgradeFailed(String)
        case tls(String)
        /// The connection ended before the server's first message.
        case closedBeforeWelcome(WebSocketClosed)
        /// The server's first message was an `error` (match full, refused…).
        case refused(ErrorMessage)
        case malformed(ProtocolError)
        case unexpectedMessage(String)
    }

    private let reason: Reason

    private init(_ reason: Reason) { self.reason = reason }

    static func badURL(_ url: String, _ why: String) -> Self { Self(.badURL(url, why)) }
    static func connection(_ why: String) -> Self { Self(.connection(why)) }
    static func transport(_ why: String) -> Self { Self(.transport(why)) }
    static func handshakeRefused(status: Int, reason: String, body: String) -> Self {
        Self(.handshakeRefused(status: status, reason: reason, body: body))
    }
    static func noTicket(status: Int, body: String) -> Self { Self(.noTicket(status: status, body: body)) }
    static func subprotocol(_ chosen: String?) -> Self { Self(.subprotocol(chosen)) }
    static func upgradeFailed(_ why: String) -> Self { Self(.upgradeFailed(why)) }
    static func tls(_ why: String) -> Self { Self(.tls(why)) }
    static func closedBeforeWelcome(_ closed: WebSocketClosed) -> Self { Self(.closedBeforeWelcome(closed)) }
    static func refused(_ message: ErrorMessage) -> Self { Self(.refused(message)) }
    static func malformed(_ error: ProtocolError) -> Self { Self(.malformed(error)) }
    static func unexpectedMessage(_ what: String) -> Self { Self(.unexpectedMessage(what)) }

    /// The HTTP status of a refused upgrade (400, 401, 404, 503…).
    public var httpStatus: Int? {
        if case .handshakeRefused(let status, _, _) = reason { return status }
        if case .noTicket(let status, _) = reason { return status }
        return nil
    }

    /// The body of a refused upgrade, as text (at most 4 KiB of it).
    public var body: String? {
        if case .handshakeRefused(_, _, let body) = reason { return body }
        if case .noTicket(_, let body) = reason { return body }
        return nil
    }

    /// The server's `error` message, when it refused the player that way.
    public var serverError: ErrorMessage? {
        if case .refused(let message) = reason { return message }
        return nil
    }

    /// How the connection ended, when it ended before the welcome.
    public var closed: WebSocketClosed? {
        if case .closedBeforeWelcome(let closed) = reason { return closed }
        return nil
    }

    /// The decoding error, when the server sent something this client could not read.
    public var protocolError: ProtocolError? {
        if case .malformed(let error) = reason { return error }
        return nil
    }

    /// True when the upgrade never happened (bad URL, HTTP refusal, TLS,
    /// wrong subprotocol): the server never saw a player.
    public var isHandshakeFailure: Bool {
        switch reason {
        case .badURL, .connection, .handshakeRefused, .noTicket, .subprotocol, .upgradeFailed, .tls: true
        case .transport, .closedBeforeWelcome, .refused, .malformed, .unexpectedMessage: false
        }
    }

    public var description: String {
        switch reason {
        case .badURL(let url, let why): "bad URL \(url): \(why)"
        case .connection(let why): why
        case .transport(let why): "connection failed: \(why)"
        case .handshakeRefused(let status, let text, let body):
            "the server refused the WebSocket upgrade: HTTP \(status) \(text)" + (body.isEmpty ? "" : ": \(body)")
        case .noTicket(let status, let body):
            "matchmaking found no seat: HTTP \(status)" + (body.isEmpty ? "" : ": \(body)")
        case .subprotocol(let chosen):
            "the server did not accept subprotocol \(ProtocolVersion.subprotocol)" + (chosen.map { " (it chose \($0))" } ?? " (it chose none)")
        case .upgradeFailed(let why): "the WebSocket upgrade failed: \(why)"
        case .tls(let why): "TLS: \(why)"
        case .closedBeforeWelcome(let closed): "the connection closed before the welcome: \(closed.summary)"
        case .refused(let message): "the server refused: \(message.code): \(message.reason)"
        case .malformed(let error): "the server sent a message this client cannot read: \(error)"
        case .unexpectedMessage(let what): "unexpected message from the server: \(what)"
        }
    }
}

extension WebSocketClosed {
    /// `1006 connection lost` / `4002 "version" by the server` — for logs and reports.
    public var summary: String {
        let code = code.map { String($0.rawValue) } ?? "no close code"
        let who = initiatedByPeer ? "by the server" : "by this client"
        return reason.isEmpty ? "\(code) \(who)" : "\(code) \"\(reason)\" \(who)"
    }
}
