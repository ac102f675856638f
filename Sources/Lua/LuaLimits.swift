/// What one Lua state may consume.
///
/// `timeLimit` is enforced by the watchdog, which arms a count hook only once a
/// call has run too long, so calls that finish in time pay nothing. An exact
/// `instructionLimit` keeps a count hook armed for the whole call: failures
/// then land on the same instruction every run, but every instruction gets
/// slower (arena's ticks take about 1.3× as long, `scripts/bench`), so it is
/// off by default.
public struct LuaLimits: Sendable, Equatable {
    /// Most bytes the state may hold; 64 MiB by default, far above what a
    /// game's rules need and low enough that a thousand matches fit in memory.
    /// Bytes the engine holds for the match (`LuaState.externalBytes`) count
    /// against the same cap.
    public var memoryBytes: Int
    /// Wall time one call may run before it is stopped; 250 ms by default,
    /// several ticks' worth, so a slow tick is not confused with a stuck one.
    public var timeLimit: Duration?
    /// Lua VM instructions one call may run, or nil for no exact count.
    public var instructionLimit: Int?

    public init(memoryBytes: Int = 64 << 20, timeLimit: Duration? = .milliseconds(250), instructionLimit: Int? = nil) {
        self.memoryBytes = memoryBytes
        self.timeLimit = timeLimit
        self.instructionLimit = instructionLimit
    }
}
