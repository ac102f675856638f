import Foundation

/// Where a match's time comes from. The same match runs on the real clock in
/// a server and on a virtual one in headless runs and tests.
public protocol TickClock {
    /// Time since the clock's origin.
    func now() -> Duration
    /// Returns once `now() >= deadline`.
    mutating func sleep(until deadline: Duration)
}

/// Time that passes only when asked: a headless match runs at full speed and
/// sees exactly the tick times a real one would.
public struct VirtualClock: TickClock {
    public private(set) var current: Duration = .zero

    public init() {}

    public func now() -> Duration { current }

    public mutating func sleep(until deadline: Duration) {
        if deadline > current { current = deadline }
    }
}

/// The monotonic system clock.
public struct SystemClock: TickClock {
    private let origin = ContinuousClock.now

    public init() {}

    public func now() -> Duration { ContinuousClock.now - origin }

    public mutating func sleep(until deadline: Duration) {
        let remaining = deadline - now()
        guard remaining > .zero else { return }
        let seconds = Double(remaining.components.seconds) + Double(remaining.components.attoseconds) / 1e18
        Thread.sleep(forTimeInterval: seconds)
    }
}

/// Drift-free tick deadlines: tick n is due at `start + n * period`, whatever
/// the previous ticks cost. A tick that starts a whole period late is an
/// overrun: counted, and the schedule does not try to catch up in a burst.
public struct TickSchedule: Sendable {
    public let period: Duration
    private var start: Duration
    private var next: Int64 = 1
    public private(set) var overruns = 0

    public init(tickRate: Int, start: Duration) {
        period = .nanoseconds(1_000_000_000 / Int64(tickRate))
        self.start = start
    }

    /// Waits for the next tick's deadline on `clock`.
    public mutating func waitForNextTick(on clock: inout some TickClock) {
        clock.sleep(until: nextDeadline)
        tickStarted(at: clock.now())
    }

    /// When the next tick is due, for drivers that schedule rather than sleep
    /// (a server's event loop).
    public var nextDeadline: Duration { start + period * next }

    /// Records that the tick due at `nextDeadline` started at `now`: a start
    /// a whole period late or more is an overrun, and the missed deadlines
    /// are skipped rather than run back to back.
    public mutating func tickStarted(at now: Duration) {
        let late = now - nextDeadline
        if late >= period {
            overruns += 1
            let missed = Int64((late / period).rounded(.down))
            start += period * missed
        }
        next += 1
    }
}
