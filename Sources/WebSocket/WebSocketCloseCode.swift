/// The status code carried by a close frame (RFC 6455 §7.4).
///
/// Any 16-bit value can be held, because codes arrive from the network and
/// some codes (1005, 1006, 1015) name situations rather than wire values.
/// `isValidOnWire` says whether a code may appear in a close frame: a peer
/// that sends one that may not fails the connection with `protocolError`.
public struct WebSocketCloseCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16

    public init(rawValue: UInt16) {
        self.rawValue = rawValue
    }

    /// 1000: the purpose of the connection has been fulfilled.
    public static let normalClosure = WebSocketCloseCode(rawValue: 1000)
    /// 1001: the endpoint is going away (server shutdown, idle peer, page left).
    public static let goingAway = WebSocketCloseCode(rawValue: 1001)
    /// 1002: the peer broke the framing rules of RFC 6455.
    public static let protocolError = WebSocketCloseCode(rawValue: 1002)
    /// 1003: a message of a type this endpoint does not accept (Tickwire's
    /// game server speaks binary only, so a text message gets this).
    public static let unsupportedData = WebSocketCloseCode(rawValue: 1003)
    /// 1007: a message's content does not match its type (text that is not
    /// UTF-8, a close reason that is not UTF-8).
    public static let invalidPayload = WebSocketCloseCode(rawValue: 1007)
    /// 1008: a message broke a rule of the application.
    public static let policyViolation = WebSocketCloseCode(rawValue: 1008)
    /// 1009: a message (or a frame) is larger than `maxMessageBytes`.
    public static let messageTooBig = WebSocketCloseCode(rawValue: 1009)
    /// 1011: the endpoint met a condition it could not handle.
    public static let internalError = WebSocketCloseCode(rawValue: 1011)

    /// Whether the code may be sent in a close frame.
    ///
    /// Valid: 1000–1003, 1007–1011, the IANA-assigned 1012–1014 (service
    /// restart, try again later, bad gateway), and 3000–4999 (registered and
    /// private use). Invalid: below 1000, 1004 (reserved), 1005 and 1006 (which
    /// mean "no code" and "no close frame" and must never be sent), 1015 (TLS
    /// failure, same), 1016–2999 (reserved for the protocol) and 5000 and up.
    public var isValidOnWire: Bool {
        switch rawValue {
        case 1000...1003, 1007...1014, 3000...4999: true
        default: false
        }
    }

    public var description: String {
        let name: String? =
            switch rawValue {
            case 1000: "normal closure"
            case 1001: "going away"
            case 1002: "protocol error"
            case 1003: "unsupported data"
            case 1005: "no status"
            case 1006: "abnormal closure"
            case 1007: "invalid payload"
            case 1008: "policy violation"
            case 1009: "message too big"
            case 1010: "mandatory extension"
            case 1011: "internal error"
            case 1012: "service restart"
            case 1013: "try again later"
            case 1014: "bad gateway"
            case 1015: "TLS handshake"
            default: nil
            }
        return name.map { "\(rawValue) \($0)" } ?? "\(rawValue)"
    }
}
