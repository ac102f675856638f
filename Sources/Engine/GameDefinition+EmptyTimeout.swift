import Lua

extension GameDefinition {
    /// How long a match nobody is in lives on, as the game asks with
    /// `game.empty_timeout`; a game that does not say gets the server's
    /// default (`ServerConfiguration.emptyMatchTimeout`).
    ///
    /// A chat room or a persistent world keeps its match for whoever comes
    /// back (`false`); a quick game may free its seats sooner.
    public enum EmptyTimeout: Sendable, Equatable {
        /// The match ends after this long with nobody in it.
        case after(Duration)
        /// The match never ends for being empty (`false`).
        case never

        /// The timeout for a match, nil for never.
        public var duration: Duration? {
            switch self {
            case .after(let duration): duration
            case .never: nil
            }
        }
    }

    /// Whole seconds `game.empty_timeout` may hold: at least one (a match
    /// made by `POST /matches` starts empty and must live to be joined), at
    /// most a week (longer is `false`).
    public static let emptyTimeoutSeconds = 1...604_800

    /// Reads `game.empty_timeout`: nil when absent, else a number of
    /// seconds or `false`.
    static func emptyTimeout(_ value: LuaValue, error: (String) -> GameError) throws(GameError) -> EmptyTimeout? {
        switch value {
        case .nil: return nil
        case .boolean(false): return .never
        default:
            guard let d = value.asDouble, d == d.rounded(), d >= Double(emptyTimeoutSeconds.lowerBound),
                  d <= Double(emptyTimeoutSeconds.upperBound) else { throw error(value.rendered) }
            return .after(.seconds(Int(d)))
        }
    }
}
