import NIOCore

/// The time a match's seating runs by: when a dropped player's grace period
/// ends, when a match nobody is in ends, and how long acks took.
///
/// Injected (`ServerConfiguration.clock`) so tests can move it by hand and
/// see a seat freed without waiting out the grace. Only differences between
/// readings are used; it must never go backwards. Ticks keep being scheduled
/// on the real clock, and the supervisor's hard limit always reads the real
/// clock: a stuck Lua call is stuck in real time.
public struct ServerClock: Sendable {
    private let read: @Sendable () -> NIODeadline

    public init(now: @escaping @Sendable () -> NIODeadline) {
        read = now
    }

    public func now() -> NIODeadline { read() }

    /// The monotonic system clock.
    public static let system = ServerClock { .now() }
}
