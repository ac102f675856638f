/// Why a server is about to close a connection (docs/protocol.md, "error").
///
///     u8      0x03
///     varint  code
///     string  reason (≤ 256 bytes)
///     align
public struct ErrorMessage: Sendable, Equatable {
    /// The spec's codes. A code this build does not know is kept as `other`
    /// so a newer server's reason still reaches the player.
    public enum Code: Sendable, Hashable, CustomStringConvertible {
        case protocolVersion
        case malformed
        case matchFull
        case matchOver
        /// The game refused the player; the reason is the game's.
        case refused
        case kicked
        /// The client's socket stayed full for longer than the server keeps
        /// baselines: it could not catch up with one delta.
        case tooSlow
        /// The client sent messages faster than the server accepts them.
        case flooding
        /// Not allowed: a bad or missing token, or a spectator sending inputs.
        case forbidden
        /// No such game or match, or a resume token whose grace has ended.
        case notFound
        /// A code outside the spec's list (never one of 1...10).
        case other(UInt64)

        public init(rawValue: UInt64) {
            self = switch rawValue {
            case 1: .protocolVersion
            case 2: .malformed
            case 3: .matchFull
            case 4: .matchOver
            case 5: .refused
            case 6: .kicked
            case 7: .tooSlow
            case 8: .flooding
            case 9: .forbidden
            case 10: .notFound
            default: .other(rawValue)
            }
        }

        public var rawValue: UInt64 {
            switch self {
            case .protocolVersion: 1
            case .malformed: 2
            case .matchFull: 3
            case .matchOver: 4
            case .refused: 5
            case .kicked: 6
            case .tooSlow: 7
            case .flooding: 8
            case .forbidden: 9
            case .notFound: 10
            case .other(let raw): raw
            }
        }

        public var description: String {
            switch self {
            case .protocolVersion: "protocol version"
            case .malformed: "malformed message"
            case .matchFull: "match full"
            case .matchOver: "match over"
            case .refused: "refused by the game"
            case .kicked: "kicked"
            case .tooSlow: "too slow"
            case .flooding: "flooding"
            case .forbidden: "forbidden"
            case .notFound: "not found"
            case .other(let raw): "error \(raw)"
            }
        }
    }

    public var code: Code
    /// At most `maxReasonBytes` of UTF-8; `init` truncates a longer one at a
    /// character boundary.
    public var reason: String

    public static let maxReasonBytes = 256

    public init(code: Code, reason: String) {
        self.code = code
        self.reason = Self.truncated(reason)
    }

    public mutating func serialize<S: BitStream>(_ stream: inout S) throws(ProtocolError) {
        try MessageType.error.serialize(&stream)
        var raw = code.rawValue
        try stream.varint(&raw)
        code = Code(rawValue: raw)
        try stream.string(&reason, maxBytes: Self.maxReasonBytes)
        try stream.align()
    }

    /// The message's bytes; a reason set above the limit after `init` is
    /// truncated here too.
    public func encode() -> [UInt8] {
        var copy = self
        copy.reason = Self.truncated(reason)
        var writer = BitWriter(capacity: 16 + copy.reason.utf8.count)
        do { try copy.serialize(&writer) } catch { preconditionFailure("error message cannot be sent: \(error)") }
        return writer.finish()
    }

    public static func decode(_ bytes: [UInt8]) throws(ProtocolError) -> ErrorMessage {
        try MessageType.checkSize(bytes)
        var reader = BitReader(bytes)
        var message = ErrorMessage(code: .malformed, reason: "")
        try message.serialize(&reader)
        try reader.expectEnd()
        return message
    }

    /// `reason` cut to `maxReasonBytes` without splitting a UTF-8 sequence.
    static func truncated(_ reason: String) -> String {
        let bytes = reason.utf8
        guard bytes.count > maxReasonBytes else { return reason }
        var end = bytes.index(bytes.startIndex, offsetBy: maxReasonBytes)
        while end > bytes.startIndex, bytes[end] & 0xC0 == 0x80 { end = bytes.index(before: end) }
        return String(decoding: Array(bytes[..<end]), as: UTF8.self)
    }
}
