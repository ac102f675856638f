#if canImport(Glibc)
import Glibc
#endif

/// How much CPU a match may spend, on average, over a sliding window of ticks.
///
/// The time limit stops one runaway call; this stops a match that overruns
/// a little every tick (or hits the time limit every tick under
/// `--on-error skip`) and so takes the core from its neighbours for good.
/// It counts every Lua call of the tick (inputs, client events, joins and
/// leaves since the last tick, `game.tick`, `game.result`) and the snapshot,
/// in CPU time of the match's thread: a match preempted by others on a busy
/// machine is not charged for their time.
///
/// A match whose spending over the last `window` of ticks exceeds `share` of
/// that window ends as failed, whatever the failure policy.
public struct CPUBudget: Sendable, Equatable {
    /// The fraction of each tick's period a match may use on average; 0.5 by
    /// default, so two such matches still fit on one core. Nil: no budget.
    public var share: Double?
    /// How much simulated time the average is taken over; one second by
    /// default, so a single slow tick (a garbage collection, a burst of
    /// spawns) is forgiven but a match stuck at its time limit is ended within
    /// a few ticks.
    public var window: Duration

    public init(share: Double? = 0.5, window: Duration = .seconds(1)) {
        self.share = share
        self.window = window
    }

    public static let unlimited = CPUBudget(share: nil)
}

/// The CPU a match spent in its recent ticks: a ring of per-tick costs.
///
/// A value: `record` is fed measured durations, so tests drive it with any
/// costs they like.
struct CPUSpending: Sendable {
    /// Ticks in the window.
    let ticks: Int
    /// Nanoseconds the window may hold.
    let allowance: Int64
    private var costs: [Int64]
    private var next = 0
    private(set) var total: Int64 = 0

    /// `budget` over ticks of `period`; nil when the budget is off.
    init?(budget: CPUBudget, period: Duration) {
        guard let share = budget.share, share > 0, share.isFinite else { return nil }
        let periodNs = max(1, period.nanoseconds)
        ticks = Int(max(1, min(100_000, budget.window.nanoseconds / periodNs)))
        let allowed = Double(ticks) * Double(periodNs) * share
        allowance = allowed >= Double(Int64.max) ? .max : Int64(allowed)
        costs = Array(repeating: 0, count: ticks)
    }

    /// Adds one tick's cost; true while the window is within the allowance.
    mutating func record(nanoseconds cost: Int64) -> Bool {
        let cost = max(0, cost)
        total = total &- costs[next] &+ cost
        costs[next] = cost
        next = (next + 1) % ticks
        return total <= allowance
    }
}

/// CPU time of the calling thread: what a match's work costs, whatever else
/// the machine is doing.
public enum ThreadCPUClock {
    public static func now() -> Duration {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return .seconds(Int64(ts.tv_sec)) + .nanoseconds(Int64(ts.tv_nsec))
    }
}

extension Duration {
    /// Whole nanoseconds, saturating.
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        return scaled.addingReportingOverflow(attoseconds / 1_000_000_000).overflow ? .max : scaled + attoseconds / 1_000_000_000
    }
}
