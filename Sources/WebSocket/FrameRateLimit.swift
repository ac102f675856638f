import NIOCore

/// A token bucket over the frames a peer sends: `rate` per second sustained,
/// bursts up to two seconds' worth. Every frame costs one token — data,
/// continuation and control frames alike — so a message of k frames costs k
/// and a flood of empty fragments or pings is caught like a flood of
/// messages. A peer over it is closed rather than queued, so no peer can grow
/// what the server holds or cost more than its share of decoding.
struct FrameRateLimit: Equatable {
    /// Frames per second, sustained; at least 1.
    let rate: Double
    /// Frames that may arrive at once after a quiet spell: two seconds' worth.
    let burst: Double
    private var tokens: Double
    private var last: NIODeadline

    init(perSecond rate: Int, now: NIODeadline) {
        self.rate = Double(max(1, rate))
        burst = self.rate * 2
        tokens = burst
        last = now
    }

    /// Takes one token; false when the bucket is empty. A clock that goes
    /// backwards adds nothing.
    mutating func admit(now: NIODeadline) -> Bool {
        let elapsed = max(0, Double((now - last).nanoseconds) / 1e9)
        last = max(last, now)
        tokens = min(burst, tokens + elapsed * rate)
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}
