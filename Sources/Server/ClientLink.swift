import NIOCore
import Protocol
import WebSocket

/// A match's handle on one client's socket. Matches run on their own event
/// loop and reach a client through this: writes hop to the socket's loop,
/// and `isWritable` is read without a hop (NIO keeps it atomic).
struct ClientLink: Sendable {
    let channel: Channel
    /// Unique per connection in this process; inputs carry it so a match can
    /// ignore those of a connection its seat has since moved away from.
    let id: Int

    var isWritable: Bool { channel.isWritable }

    /// Sends `bytes` as one binary message, then closes if `then` is set.
    func send(_ bytes: [UInt8], then disconnect: Disconnect? = nil) {
        let channel = self.channel
        channel.eventLoop.execute {
            let buffer = channel.allocator.buffer(bytes: bytes)
            channel.write(WebSocketOutbound.message(.binary(buffer)), promise: nil)
            if let disconnect { disconnect.write(to: channel) }
            channel.flush()
        }
    }

    /// Ends the connection for `reason`.
    func close(_ reason: Disconnect) {
        let channel = self.channel
        channel.eventLoop.execute {
            reason.write(to: channel)
            channel.flush()
        }
    }
}

/// Why the server ends a client's connection, and how the client is told:
/// Tickwire errors as an `error` message followed by close code 4000 + code
/// (docs/protocol.md, "Closing"); the rest as a plain WebSocket close.
enum Disconnect: Sendable, Equatable {
    case error(ErrorMessage.Code, String)
    case close(WebSocketCloseCode, String)

    static let shuttingDown = Disconnect.close(.goingAway, "the server is shutting down")

    var closeCode: WebSocketCloseCode {
        switch self {
        case .error(let code, _): WebSocketCloseCode(rawValue: UInt16(4000 + min(code.rawValue, 999)))
        case .close(let code, _): code
        }
    }

    var reason: String {
        switch self {
        case .error(_, let reason), .close(_, let reason): reason
        }
    }

    /// Writes the messages that end the connection (without flushing); the
    /// WebSocket layer then runs the closing handshake.
    func write(to channel: Channel) {
        if case .error(let code, let reason) = self {
            let bytes = ErrorMessage(code: code, reason: reason).encode()
            channel.write(WebSocketOutbound.message(.binary(channel.allocator.buffer(bytes: bytes))), promise: nil)
        }
        channel.write(WebSocketOutbound.close(closeCode, reason: reason), promise: nil)
    }
}
