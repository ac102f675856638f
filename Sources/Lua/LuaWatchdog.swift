import CLua
import Foundation
import Synchronization

/// Stops Lua calls that run past their time limit.
///
/// A count hook slows every instruction, so no hook is set while calls behave.
/// One background thread looks at every registered state every few
/// milliseconds and, when a call has run longer than its limit, arms the limit
/// hook on the thread running it (`lua_sethook` is safe to call from another
/// thread). The hook raises a Lua error at the running line; the epoch check in
/// the hook ignores an arming that arrives after the call ended.
final class LuaWatchdog: Sendable {
    static let shared = LuaWatchdog()

    private struct Entry: @unchecked Sendable {
        let state: OpaquePointer
        let control: UnsafeMutablePointer<tw_control>
        let limitNanoseconds: UInt64
    }

    private struct Registry {
        var entries: [Int: Entry] = [:]
        var nextToken = 0
        var started = false
    }

    private let registry = Mutex(Registry())
    /// How often the watchdog looks; a runaway call overruns its limit by at most this.
    private let period: TimeInterval = 0.005

    func register(state: OpaquePointer, control: UnsafeMutablePointer<tw_control>, limit: Duration) -> Int {
        let nanoseconds = UInt64(max(0, limit.components.seconds)) * 1_000_000_000
            + UInt64(max(0, limit.components.attoseconds / 1_000_000_000))
        let (token, start) = registry.withLock { registry -> (Int, Bool) in
            registry.nextToken += 1
            registry.entries[registry.nextToken] = Entry(state: state, control: control, limitNanoseconds: nanoseconds)
            defer { registry.started = true }
            return (registry.nextToken, !registry.started)
        }
        if start {
            let thread = Thread { [self] in watch() }
            thread.name = "lua-watchdog"
            thread.start()
        }
        return token
    }

    /// After this returns, the watchdog no longer touches the state.
    func unregister(_ token: Int) {
        _ = registry.withLock { $0.entries.removeValue(forKey: token) }
    }

    private func watch() {
        while true {
            Thread.sleep(forTimeInterval: period)
            let now = tw_now_ns()
            registry.withLock { registry in
                for entry in registry.entries.values where tw_load_active(entry.control) != 0 {
                    let epoch = tw_load_epoch(entry.control)
                    let started = tw_load_started(entry.control)
                    if now > started, now - started > entry.limitNanoseconds {
                        tw_arm_time_limit(entry.state, entry.control, epoch)
                    }
                }
            }
        }
    }
}
