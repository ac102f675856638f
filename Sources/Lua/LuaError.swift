/// A failure inside Lua, located in the designer's source where possible.
///
/// `location` is the `chunk:line` the error names (for example
/// `games/arena/game.lua:42`); `traceback` is Lua's stack traceback, when the
/// error happened inside a running call.
public struct LuaError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case syntax
        case runtime
        case memoryLimit = "memory limit"
        case timeLimit = "time limit"
        case instructionLimit = "instruction limit"
    }

    public let kind: Kind
    /// The message without its location prefix.
    public let message: String
    public let location: String?
    public let traceback: String?

    public init(kind: Kind, message: String, location: String? = nil, traceback: String? = nil) {
        self.kind = kind
        self.message = message
        self.location = location
        self.traceback = traceback
    }

    /// Splits a raw Lua error (`chunk:line: message\nstack traceback:...`).
    init(kind: Kind, raw: String) {
        var text = raw
        var traceback: String?
        if let range = text.range(of: "\nstack traceback:") {
            traceback = String(text[range.lowerBound...].dropFirst())
            text = String(text[..<range.lowerBound])
        }
        let (location, message) = LuaError.splitLocation(text)
        self.init(kind: kind, message: message, location: location, traceback: traceback)
    }

    /// `"file.lua:12: boom"` → `("file.lua:12", "boom")`.
    static func splitLocation(_ text: String) -> (String?, String) {
        var search = text.startIndex
        while let colon = text[search...].firstIndex(of: ":") {
            let afterColon = text.index(after: colon)
            let digits = text[afterColon...].prefix(while: \.isNumber)
            if !digits.isEmpty {
                let end = digits.endIndex
                if end < text.endIndex, text[end] == ":" {
                    let rest = text[text.index(after: end)...].drop(while: { $0 == " " })
                    return (String(text[..<end]), String(rest))
                }
            }
            search = afterColon
        }
        return (nil, text)
    }

    /// One line: `location: message (kind)`.
    public var summary: String {
        let prefix = location.map { "\($0): " } ?? ""
        switch kind {
        case .runtime, .syntax: return prefix + message
        default: return prefix + message + (message.contains(kind.rawValue) ? "" : " (\(kind.rawValue))")
        }
    }

    public var description: String {
        traceback.map { summary + "\n" + $0 } ?? summary
    }
}
