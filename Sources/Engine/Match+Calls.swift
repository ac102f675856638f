import Lua
import Protocol

/// Calls into the rules, counted, so that what the wall clock decided about
/// one of them can be recorded and applied again in a replay.
///
/// Invariant: every call into game code after `init` goes through
/// `callLua`, in an order that depends only on the commands and the rules,
/// so call number n names the same call in the original and in a replay.
extension Match {
    /// Calls the function below `arguments` values (see `LuaState.call`).
    ///
    /// Live, a call the time limit stopped is reported (`reportFact`). In a
    /// replay, the call the recording saw stopped is run with an exact
    /// instruction budget instead of a clock and then fails with the recorded
    /// error whatever it did: the failure lands at the same tick and call,
    /// and whatever the call did before its loop is done again.
    func callLua(arguments: Int32, results: Int32) throws(LuaError) {
        calls += 1
        if let recorded = forced.timeLimits.removeValue(forKey: calls) {
            let base = lua.stack.top - arguments - 1
            do throws(LuaError) {
                try lua.call(arguments: arguments, results: results, instructionLimit: forced.instructionBudget)
                lua.stack.setTop(base)
            } catch {}
            throw LuaError(kind: .timeLimit, message: recorded.message, location: recorded.location,
                           traceback: recorded.traceback)
        }
        do throws(LuaError) {
            try lua.call(arguments: arguments, results: results)
        } catch {
            if error.kind == .timeLimit {
                reportFact?(.timeLimit(call: calls, error: ReplayError(location: error.location, message: error.message,
                                                                        traceback: error.traceback)))
            }
            throw error
        }
    }

    /// Makes this match apply `fact` (from a recording) instead of measuring
    /// it: a call the time limit stopped, or the CPU budget's end.
    public func force(_ fact: MatchFact) {
        switch fact {
        case .timeLimit(let call, let error): forced.timeLimits[call] = error
        case .cpuBudgetEnded(let tick, let message): forced.budgetEnds[tick] = message
        case .fileLoaded: break
        }
    }

    /// The exact instruction budget a forced time-limit call runs with.
    public var forcedCallInstructions: Int {
        get { forced.instructionBudget }
        set { forced.instructionBudget = max(1, newValue) }
    }

    /// Whether `player` holds a seat.
    public func isSeated(_ player: Int) -> Bool {
        seats.indices.contains(player) && seats[player] != nil
    }

    /// The game files this match's rules were read from so far, in the
    /// order they were read: `game.lua`, then each module `require`d.
    public var loadedFiles: [LoadedGameFile] { fileLedger.files }
}

/// Facts a replay applies instead of measuring them.
struct ForcedFacts {
    var timeLimits: [Int: ReplayError] = [:]
    /// Ticks at whose end the CPU budget ends the match, with its message.
    var budgetEnds: [Int: String] = [:]
    /// 50 million instructions: well past what any tick does before it runs
    /// away, and a fraction of a second to run.
    var instructionBudget = 50_000_000
}

/// A match's tick, readable by closures made before the match is whole.
final class TickCounter: @unchecked Sendable {
    var tick = 0
}

/// The files a match read, filled from the sandbox's `require`.
final class FileLedger {
    private(set) var files: [LoadedGameFile] = []
    private(set) var count = 0
    func add(_ file: LoadedGameFile) {
        files.append(file)
        count += 1
    }
}

extension MatchStatus {
    /// One line: "finished: <result>", "failed: <failure>", "stopped: <result>" or "running".
    public var summary: String {
        switch self {
        case .running: "running"
        case .finished(let result): "finished: \(result.rendered)"
        case .failed(let failure): "failed: \(failure)"
        case .stopped(let result): "stopped: \(result?.rendered ?? "nil")"
        }
    }
}
