import Lua

/// What a match does when the game's Lua fails (an error, the time or
/// instruction limit, the memory limit).
public enum ScriptFailurePolicy: Sendable, Equatable {
    /// Log it and go on: the failed tick's partial changes stay, the next tick runs.
    case skipTick
    /// Go on until the `n`-th failure, then end the match as failed.
    case endMatch(afterFailures: Int)
}

/// One failure of the game's Lua in a match.
public struct ScriptFailure: Sendable, CustomStringConvertible {
    public let tick: Int
    /// The callback that failed: init, join, leave, tick or result.
    public let callback: String
    public let error: GameError

    public var description: String {
        "game.\(callback) failed at tick \(tick): \(error)"
    }
}

/// Where a match is in its life.
public enum MatchStatus: Sendable {
    case running
    /// `game.result` returned this value.
    case finished(result: LuaResult)
    /// The failure policy ended the match.
    case failed(ScriptFailure)
    /// Ended from outside (a server shutting down) before `game.result` ended
    /// it; carries what `game.result` answered when asked one last time.
    case stopped(result: LuaResult?)

    public var isRunning: Bool {
        if case .running = self { return true }
        return false
    }
}

/// A value returned by `game.result`, copied out of Lua.
public typealias LuaResult = LuaValue
