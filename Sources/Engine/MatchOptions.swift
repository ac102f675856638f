import Lua

/// How one match runs. Defaults suit both a server and a headless run.
public struct MatchOptions: Sendable {
    /// Seeds `match:random()` and `math.random`: same seed, script and
    /// inputs give the same states.
    public var seed: Int64
    public var limits: LuaLimits
    public var failurePolicy: ScriptFailurePolicy
    /// Live entities a match may hold; bounds snapshot size and memory.
    public var maxEntities: Int
    /// Inputs waiting per player; see `InputQueue`.
    public var inputQueueCapacity: Int
    /// Snapshots kept as baselines; see `SnapshotRing`.
    public var snapshotHistory: Int
    /// Parameters handed to `game.init(match, params)`.
    public var params: [String: MatchParameter]
    /// Receives the game's `print` output and the engine's reports about the match.
    public var log: @Sendable (String) -> Void
    /// When set, receives every line `log` would, with its level and tick,
    /// instead of `log`: a server logs script failures as errors, the
    /// once-per-field warnings as warnings and `print` as info.
    public var logLine: (@Sendable (MatchLogLine) -> Void)?
    /// The CPU a match may spend over a window of ticks (`CPUBudget`).
    public var cpuBudget: CPUBudget
    /// Measures the match's CPU time: the calling thread's by default; tests
    /// inject their own.
    public var cpuClock: @Sendable () -> Duration

    public init(seed: Int64 = 0, limits: LuaLimits = LuaLimits(),
                failurePolicy: ScriptFailurePolicy = .endMatch(afterFailures: 3),
                maxEntities: Int = 4096, inputQueueCapacity: Int = 8, snapshotHistory: Int = 64,
                params: [String: MatchParameter] = [:], log: @escaping @Sendable (String) -> Void = { _ in },
                cpuBudget: CPUBudget = CPUBudget(), cpuClock: @escaping @Sendable () -> Duration = ThreadCPUClock.now) {
        self.seed = seed
        self.limits = limits
        self.failurePolicy = failurePolicy
        self.maxEntities = maxEntities
        self.inputQueueCapacity = inputQueueCapacity
        self.snapshotHistory = snapshotHistory
        self.params = params
        self.log = log
        self.cpuBudget = cpuBudget
        self.cpuClock = cpuClock
    }
}

/// One line about a match, with what an operator filters on.
public struct MatchLogLine: Sendable, Equatable {
    public enum Level: Sendable, Equatable {
        /// A script failure, or the match ended by failures or its budget.
        case error
        /// Something the rules did that works but is likely wrong (a field of
        /// the wrong type), reported once.
        case warning
        /// The game's `print`.
        case info
    }

    public var level: Level
    public var text: String
    /// The tick running when the line was written (between ticks, the last
    /// one; 0 during `game.init`).
    public var tick: Int

    public init(level: Level, text: String, tick: Int) {
        self.level = level
        self.text = text
        self.tick = tick
    }
}

/// A value passed to `game.init` in `params`.
public enum MatchParameter: Sendable, Equatable {
    case number(Double)
    case string(String)
    case bool(Bool)

    /// Reads `"12"` as a number, `"true"`/`"false"` as booleans, anything else as text.
    public init(parsing text: String) {
        if let d = Double(text), d.isFinite { self = .number(d) }
        else if text == "true" || text == "false" { self = .bool(text == "true") }
        else { self = .string(text) }
    }
}
