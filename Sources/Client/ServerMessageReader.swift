import NIOCore
import Protocol
import WebSocket

/// One message from the server, as the async face hands it out. Snapshots
/// keep their bytes: decode them with a `ClientMirror` when the state matters.
public enum ServerMessage: Sendable {
    /// The first, or a later one for the same seat: the match's rules were
    /// reloaded (new schemas; a full snapshot follows).
    case welcome(Welcome)
    case snapshot(SnapshotHeader, [UInt8])
    case error(ErrorMessage)
}

/// What a client does with each message the server sends, as a value: the
/// order rules of docs/protocol.md (welcome first; then snapshots; a later
/// welcome for the same match and seat when its rules are reloaded; an
/// error at any time, then the server closes) without sockets, shared by both
/// client faces and tested alone.
///
/// Snapshots are read only as far as their header; the state delta is left
/// to whoever wants it.
struct ServerMessageReader {
    enum Action {
        case welcome(Welcome)
        /// A welcome after the first: the rules were reloaded.
        case reloaded(Welcome)
        case snapshot(SnapshotHeader)
        case error(ErrorMessage)
        /// Close with this code: the server broke the protocol.
        case fail(TickwireClientError, WebSocketCloseCode)
    }

    /// Close code for a server speaking another protocol version (docs/protocol.md).
    static let versionCloseCode = WebSocketCloseCode(rawValue: 4002)

    private(set) var welcome: Welcome?
    private(set) var lastTick: Int?

    mutating func read(_ message: WebSocketMessage) -> Action {
        guard case .binary(let buffer) = message else {
            return .fail(.unexpectedMessage("a text message"), .unsupportedData)
        }
        return read(buffer.readableBytesView)
    }

    mutating func read(_ bytes: some Collection<UInt8>) -> Action {
        guard bytes.count <= MessageType.maxMessageBytes else {
            return .fail(.malformed(ProtocolError(.outOfRange, "message of \(bytes.count) bytes is above the limit")), .messageTooBig)
        }
        switch bytes.first {
        case MessageType.welcome.rawValue:
            do {
                let decoded = try Welcome.decode(Array(bytes))
                if let first = welcome {
                    guard decoded.matchID == first.matchID, decoded.playerID == first.playerID else {
                        return .fail(.unexpectedMessage("a second welcome for another match or seat"), .protocolError)
                    }
                    welcome = decoded
                    return .reloaded(decoded)
                }
                welcome = decoded
                return .welcome(decoded)
            } catch {
                return .fail(.malformed(error), error.code == .version ? Self.versionCloseCode : .protocolError)
            }
        case MessageType.snapshot.rawValue:
            guard welcome != nil else { return .fail(.unexpectedMessage("a snapshot before the welcome"), .protocolError) }
            do {
                let header = try SnapshotHeader(bytes)
                lastTick = header.tick
                return .snapshot(header)
            } catch {
                return .fail(.malformed(error), .protocolError)
            }
        case MessageType.error.rawValue:
            do { return .error(try ErrorMessage.decode(Array(bytes))) } catch {
                return .fail(.malformed(error), .protocolError)
            }
        case let type?:
            let name = MessageType(rawValue: type).map { "a \($0) message, which only clients send" } ?? "message type 0x\(String(type, radix: 16))"
            return .fail(.unexpectedMessage(name), .protocolError)
        case nil:
            return .fail(.malformed(ProtocolError(.truncated, "empty message")), .protocolError)
        }
    }
}
