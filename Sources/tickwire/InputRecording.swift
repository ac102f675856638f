import Engine
import Foundation

/// The inputs of a match recorded by the engine (`CommandLog`), tick by
/// tick, in the shape the plain-Lua harness and the wire benchmark read.
struct InputRecording {
    /// `ticks[t - 1]` holds tick t's inputs as (player id, quantized values).
    var ticks: [[(id: Int, values: [Int64])]]
    var playerNames: [String]

    init(_ log: CommandLog) {
        ticks = log.inputs
        playerNames = log.playerNames
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
