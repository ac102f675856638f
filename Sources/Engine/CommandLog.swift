import Protocol

/// A match's commands in memory, tick by tick: the session's log when a
/// benchmark plays the same match again through the engine, or hands it to
/// another interpreter. (A file recording is `MatchRecorder`.)
public final class CommandLog: MatchLog {
    /// `commands[t]` holds the commands applied before tick t + 1.
    public private(set) var commands: [[MatchCommand]] = [[]]
    /// Commands held, over every tick.
    public private(set) var count = 0
    /// The most a session keeps in memory for a reload (a few hundred
    /// bytes each at most; a 16-player match at 30 Hz fills it in about
    /// half an hour).
    public static let maxCommands = 1_000_000

    public init() {}

    public func begin(match: Match, files: [LoadedGameFile]) {}

    public func record(command: MatchCommand, outcome: MatchSession.Outcome, beforeTick: Int) {
        while commands.count < beforeTick { commands.append([]) }
        commands[beforeTick - 1].append(command)
        count += 1
    }

    public func record(fact: MatchFact) {}

    public func stepped(tick: Int, checkpoint: UInt64?) {
        while commands.count < tick + 1 { commands.append([]) }
    }

    public func end(tick: Int, hash: UInt64?, outcome: String) {}

    /// Ticks the log covers.
    public var ticks: Int { commands.count - 1 }

    /// The names of the joins, in order (players are seated in that order).
    public var playerNames: [String] {
        commands.joined().compactMap { if case .join(let name, _) = $0 { name } else { nil } }
    }

    /// Each tick's inputs, as (player, values), in the order they were applied.
    public var inputs: [[(id: Int, values: [Int64])]] {
        commands.dropLast().map { tick in
            tick.compactMap { if case .input(let id, _, let values) = $0 { (id, values) } else { nil } }
        }
    }

    /// Plays the log into a fresh match; returns it after the last tick.
    public func replay(game: GameDefinition, options: MatchOptions) throws(GameError) -> Match {
        let session = try MatchSession(game: game, options: options)
        for (t, tick) in commands.enumerated() {
            for command in tick { session.apply(command) }
            if t < commands.count - 1 { session.step() }
        }
        return session.match
    }
}
