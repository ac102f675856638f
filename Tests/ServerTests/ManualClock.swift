import NIOConcurrencyHelpers
import NIOCore
@testable import Server

/// A `ServerClock` that moves only when a test says so: grace periods and
/// empty-match timeouts pass at once, and never by themselves.
final class ManualClock: Sendable {
    private let current = NIOLockedValueBox(NIODeadline.uptimeNanoseconds(1_000_000_000))

    var serverClock: ServerClock { ServerClock { self.current.withLockedValue { $0 } } }

    func advance(by duration: Duration) {
        let (seconds, attoseconds) = duration.components
        current.withLockedValue { $0 = $0 + .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000) }
    }
}

/// Waits (polling, a few ms at a time) until `condition` holds or `timeout`
/// of real time passes; returns whether it held. For events the server
/// reaches on its own ticks, never to stand in for a grace period.
func eventually(within timeout: Duration = .seconds(10), _ condition: () -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        guard ContinuousClock.now < deadline else { return false }
        try await Task.sleep(for: .milliseconds(5))
    }
    return true
}
