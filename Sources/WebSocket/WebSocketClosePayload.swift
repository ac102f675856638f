import NIOCore

/// The body of a close frame (RFC 6455 §5.5.1):
///
///     +--------+--------+------------------------------+
///     | status code (BE) | reason, UTF-8, 0–123 bytes   |
///     +--------+--------+------------------------------+
///
/// Both parts are optional, but a reason needs a code: an empty body means
/// "no status" (1005 to the application), and a body of one byte is malformed.
enum WebSocketClosePayload {
    /// A control frame carries at most 125 bytes; two go to the code.
    static let maxReasonBytes = 123

    /// What a received close body says, or the close code to fail with.
    enum Parsed: Equatable {
        case valid(code: WebSocketCloseCode?, reason: String)
        case invalid(WebSocketCloseCode, reason: String)
    }

    /// Reads an unmasked close body. Codes that may not appear on the wire
    /// and one-byte bodies fail with 1002; a reason that is not UTF-8 with 1007.
    static func parse(_ body: ByteBuffer) -> Parsed {
        var body = body
        switch body.readableBytes {
        case 0:
            return .valid(code: nil, reason: "")
        case 1:
            return .invalid(.protocolError, reason: "close frame body of one byte")
        default:
            let code = WebSocketCloseCode(rawValue: body.readInteger(as: UInt16.self)!)
            guard code.isValidOnWire else {
                return .invalid(.protocolError, reason: "close code \(code.rawValue) is not allowed on the wire")
            }
            guard let reason = String(validating: body.readableBytesView, as: UTF8.self) else {
                return .invalid(.invalidPayload, reason: "close reason is not UTF-8")
            }
            return .valid(code: code, reason: reason)
        }
    }

    /// Builds a close body. A code that may not be sent gives an empty body
    /// (so the peer sees "no status"); the reason is cut to `maxReasonBytes`.
    static func make(code: WebSocketCloseCode, reason: String, allocator: ByteBufferAllocator) -> ByteBuffer {
        guard code.isValidOnWire else { return allocator.buffer(capacity: 0) }
        let reason = truncated(reason)
        var body = allocator.buffer(capacity: 2 + reason.utf8.count)
        body.writeInteger(code.rawValue)
        body.writeString(reason)
        return body
    }

    /// The longest prefix of `reason` that fits in `maxReasonBytes` UTF-8
    /// bytes without splitting a character's bytes.
    static func truncated(_ reason: String) -> String {
        let utf8 = reason.utf8
        guard utf8.count > maxReasonBytes else { return reason }
        var end = utf8.index(utf8.startIndex, offsetBy: maxReasonBytes)
        // Back up over continuation bytes (10xxxxxx) to a character's start.
        while end > utf8.startIndex, utf8[end] & 0xC0 == 0x80 {
            end = utf8.index(before: end)
        }
        return String(decoding: utf8[utf8.startIndex..<end], as: UTF8.self)
    }
}
