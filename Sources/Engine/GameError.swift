import Lua

/// A game that cannot be loaded or played: a bad declaration, a Lua error, or
/// a missing file. `description` always starts with `file:line:` when the
/// place is known, like a compiler's message.
public struct GameError: Error, Sendable, CustomStringConvertible {
    public let location: String?
    public let message: String
    public let traceback: String?
    /// What kind of Lua failure this was, when it came from Lua.
    public let kind: LuaError.Kind?

    public init(location: String?, message: String, traceback: String? = nil, kind: LuaError.Kind? = nil) {
        self.location = location
        self.message = message
        self.traceback = traceback
        self.kind = kind
    }

    public init(_ error: LuaError, context: String? = nil) {
        let prefix = context.map { "\($0): " } ?? ""
        self.init(location: error.location, message: prefix + error.summaryWithoutLocation,
                  traceback: error.traceback.map(Self.designerFrames), kind: error.kind)
    }

    /// A traceback without the engine's own Lua frames (chunks named
    /// `tickwire/...`), which mean nothing to a designer.
    static func designerFrames(_ traceback: String) -> String {
        traceback.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("\ttickwire/") }
            .joined(separator: "\n")
    }

    public var summary: String { (location.map { "\($0): " } ?? "") + message }
    public var description: String { traceback.map { summary + "\n" + $0 } ?? summary }
}

extension LuaError {
    var summaryWithoutLocation: String {
        switch kind {
        case .runtime, .syntax: message
        default: message.contains(kind.rawValue) ? message : "\(message) (\(kind.rawValue))"
        }
    }
}
