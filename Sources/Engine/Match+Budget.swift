import Lua
import Protocol

/// What a match costs beyond its Lua state: the snapshots it holds, the size
/// of each snapshot on the wire, and its CPU time.
///
/// Invariants:
/// - the bytes of the snapshot history count against the match's memory cap
///   together with Lua's own (`LuaState.externalBytes`), so Lua allocations
///   fail first when the history is large, with the designer's file:line;
/// - no snapshot whose full state and events would exceed the protocol's
///   message limit (`MessageType.maxMessageBytes`) enters the history: the
///   tick is a script failure and the snapshot repeats the previous state;
/// - a match that spends more CPU than its `CPUBudget` allows over the
///   window ends as failed, whatever the failure policy.
extension Match {
    /// Room for the message header (tick, baseline, last input) and the
    /// event count: what a frame adds to the state and the events.
    static let messageHeaderAllowance = 64

    /// Checks `snapshot` against the message limit and the memory cap; a
    /// refusal is recorded as a failure, and the history then holds
    /// `repeatingPreviousState` instead.
    func admits(_ snapshot: Snapshot) -> Bool {
        let limit = MessageType.maxMessageBytes - Self.messageHeaderAllowance
        if snapshotStringsOverflowed {
            budgetFailure("the strings of tick \(snapshot.tick) alone are above the protocol's limit of "
                + "\(MessageType.maxMessageBytes) bytes for a whole message (\(snapshot.entities.count) entities)", callback: "tick")
            return false
        }
        if snapshot.messageBytesBound > limit {
            let state = SnapshotMessage.state(from: nil, to: snapshot, coding: coding).count
            let events = SnapshotMessage.events(of: snapshot, for: .everyone, coding: coding).count
            if state + events > limit {
                let what = events > limit / 2
                    ? "\(snapshot.events.count) events of \(events) bytes"
                    : "\(snapshot.entities.count) entities and \(snapshot.strings.byteCount) bytes of strings"
                budgetFailure("the state of tick \(snapshot.tick) would be a message of \(state + events) bytes "
                    + "(\(what)), above the protocol's limit of \(MessageType.maxMessageBytes) bytes", callback: "tick")
                return false
            }
        }
        let cap = options.limits.memoryBytes
        let bytes = snapshot.retainedBytes
        let held = historyBytes - (snapshotBytes[snapshot.tick % snapshotBytes.count])
        if cap > 0, held + bytes + lua.memoryUsed > cap {
            let mib = { (n: Int) in Self.oneDecimal(Double(n) / 1_048_576) }
            budgetFailure("memory limit of \(mib(cap)) MiB exceeded: the snapshot of tick \(snapshot.tick) "
                + "needs \(mib(bytes)) MiB beside \(mib(held)) MiB of snapshot history and \(mib(lua.memoryUsed)) MiB of Lua",
                callback: "tick", kind: .memoryLimit)
            return false
        }
        return true
    }

    /// Keeps the history's byte count as `snapshot` takes its slot, and
    /// charges it to the Lua state's cap.
    func recordHistory(_ snapshot: Snapshot, shared: Bool) {
        let slot = snapshot.tick % snapshotBytes.count
        let bytes = shared ? 0 : snapshot.retainedBytes
        historyBytes += bytes - snapshotBytes[slot]
        snapshotBytes[slot] = bytes
        lua.externalBytes = historyBytes
    }

    /// The previous snapshot's state under a new tick, without events: it
    /// shares the previous snapshot's storage, so it costs no memory.
    func repeatingPreviousState(at tick: Int) -> Snapshot {
        let previous = snapshots.latest ?? .empty
        return Snapshot(tick: tick, match: previous.match, entities: previous.entities, values: previous.values,
                        events: [], strings: previous.strings)
    }

    /// Adds the CPU spent since `start` to the tick under way (joins and
    /// leaves between ticks count toward the next one).
    func chargeCPU(since start: Duration) {
        pendingCPU += options.cpuClock() - start
    }

    /// Closes the tick's CPU account; ends the match when the window is over
    /// its allowance.
    func closeCPUAccount() {
        let cost = pendingCPU
        pendingCPU = .zero
        if let message = forced.budgetEnds.removeValue(forKey: tick) {
            if status.isRunning { budgetFailure(message, callback: "tick", kind: .timeLimit, ending: true) }
            return
        }
        guard var spending = cpuSpending else { return }
        let within = spending.record(nanoseconds: cost.nanoseconds)
        cpuSpending = spending
        guard !within, status.isRunning else { return }
        let ms = { (ns: Int64) in Self.oneDecimal(Double(ns) / 1e6) }
        let share = Int(((options.cpuBudget.share ?? 0) * 100).rounded())
        let message = "CPU budget exceeded: the match used \(ms(spending.total)) ms of CPU in its last \(spending.ticks) ticks, "
            + "above its budget of \(ms(spending.allowance)) ms (\(share)% of each tick)"
        budgetFailure(message, callback: "tick", kind: .timeLimit, ending: true)
        reportFact?(.cpuBudgetEnded(tick: tick, message: message))
    }

    static func oneDecimal(_ value: Double) -> String {
        let scaled = (value * 10).rounded() / 10
        return scaled == scaled.rounded() && abs(scaled) < 1e15 ? String(Int(scaled)) : String(scaled)
    }

    /// A failure the engine found (not an error Lua raised): located at the
    /// game's file, counted like a script failure; `ending` ends the match
    /// whatever the policy.
    private func budgetFailure(_ message: String, callback: String, kind: LuaError.Kind? = nil, ending: Bool = false) {
        let error = GameError(location: game.chunkName, message: message, kind: kind)
        let failure = ScriptFailure(tick: tick, callback: callback, error: error)
        recordFailure(failure)
        if ending, status.isRunning {
            status = .failed(failure)
            report(.error, "match ended: \(message)")
        }
    }
}
