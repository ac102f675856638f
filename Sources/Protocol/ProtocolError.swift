/// Why bytes from the other side were refused. Decoders throw it for every
/// malformed input: a clear reason, never a crash or a hang.
public struct ProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        /// The message ended before a value it announced.
        case truncated
        /// A value is outside what the schema or the spec allows.
        case outOfRange
        /// A message type, schema type or field this side does not know.
        case unknown
        /// The peer speaks another protocol version.
        case version
        /// A snapshot does not apply to the state this side holds.
        case baseline
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
