import Engine
import Foundation

/// Every input a match received, tick by tick, so the same match can be
/// replayed by the engine and by the plain Lua interpreter.
struct InputRecording {
    /// `ticks[t - 1]` holds tick t's inputs as (player id, quantized values).
    var ticks: [[(id: Int, values: [Int64])]] = []
    var playerNames: [String] = []

    mutating func record(tick: Int, id: Int, values: [Int64]) {
        while ticks.count < tick { ticks.append([]) }
        ticks[tick - 1].append((id, values))
    }

    /// Plays the recording into a fresh match; returns it after the last tick.
    func replay(game: GameDefinition, options: MatchOptions) throws -> Match {
        let match = try Match(game: game, options: options)
        for name in playerNames { _ = match.join(name: name) }
        for inputs in ticks {
            for input in inputs { match.submit(input: input.values, from: input.id) }
            match.step()
        }
        return match
    }
}

/// CPU time of the calling thread: unlike wall time it does not count the
/// time another process held the core, and it is what `os.clock` reports
/// for the single-threaded `lua5.4`.
func threadCPUTime() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
