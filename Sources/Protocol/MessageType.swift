/// The first byte of every protocol message (docs/protocol.md, "Message
/// types"). The high bit says who sends it: clear from the server, set from
/// a client.
///
///     0x01 welcome   0x02 snapshot   0x03 error          server → client
///     0x81 input     0x82 client event   0x83 ack        client → server
public enum MessageType: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case welcome = 0x01
    case snapshot = 0x02
    case error = 0x03
    case input = 0x81
    case clientEvent = 0x82
    case ack = 0x83

    /// Largest message either side sends or accepts (1 MiB): a WebSocket
    /// frame above it is refused before it is decoded.
    public static let maxMessageBytes = 1 << 20

    public var isFromClient: Bool { rawValue & 0x80 != 0 }

    public var description: String {
        switch self {
        case .welcome: "welcome"
        case .snapshot: "snapshot"
        case .error: "error"
        case .input: "input"
        case .clientEvent: "client event"
        case .ack: "ack"
        }
    }

    /// The type of a received message, without decoding the rest.
    public init(of message: [UInt8]) throws(ProtocolError) {
        guard let first = message.first else { throw ProtocolError(.truncated, "empty message") }
        guard let type = MessageType(rawValue: first) else {
            throw ProtocolError(.unknown, "unknown message type 0x\(String(first, radix: 16))")
        }
        self = type
    }

    /// Writes the type byte, or reads it and checks it is this type.
    func serialize<S: BitStream>(_ stream: inout S) throws(ProtocolError) {
        var byte = UInt64(rawValue)
        try stream.bits(&byte, count: 8)
        guard byte == UInt64(rawValue) else {
            let name = MessageType(rawValue: UInt8(byte)).map { "a \($0) message" } ?? "unknown type 0x\(String(byte, radix: 16))"
            throw ProtocolError(.unknown, "expected a \(self) message, got \(name)")
        }
    }

    /// Refuses a message above `maxMessageBytes` before reading it.
    static func checkSize(_ message: [UInt8]) throws(ProtocolError) {
        guard message.count <= maxMessageBytes else {
            throw ProtocolError(.outOfRange, "message of \(message.count) bytes is above the limit of \(maxMessageBytes)")
        }
    }
}

/// The protocol version this build speaks, and how a client asks for it.
public enum ProtocolVersion {
    /// Repeated in `welcome`; a client that gets another closes with 4002.
    public static let current = 2
    /// The WebSocket subprotocol a client requests: the version is in the
    /// name, so a server refuses an unknown one at the upgrade.
    public static let subprotocol = "tickwire.\(current)"

    /// The subprotocol name of `version`.
    public static func subprotocol(for version: Int) -> String { "tickwire.\(version)" }

    /// The version a subprotocol name asks for, or nil if it is not ours.
    public static func version(ofSubprotocol name: String) -> Int? {
        guard name.hasPrefix("tickwire."), let v = Int(name.dropFirst("tickwire.".count)), v >= 0,
              subprotocol(for: v) == name else { return nil }
        return v
    }
}
