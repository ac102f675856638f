import NIOCore

/// A token bucket over a connection's messages: `rate` per second sustained,
/// bursts up to two seconds' worth. A client over it is closed as flooding
/// rather than queued, so no client can grow a match's inbox or cost more
/// than its share of decoding.
struct MessageRateLimit {
    let rate: Double
    let burst: Double
    private var tokens: Double
    private var last: NIODeadline

    init(perSecond rate: Int, now: NIODeadline) {
        self.rate = Double(max(1, rate))
        burst = self.rate * 2
        tokens = burst
        last = now
    }

    /// Takes one token; false when the bucket is empty.
    mutating func admit(now: NIODeadline) -> Bool {
        let elapsed = Double((now - last).nanoseconds) / 1e9
        last = now
        tokens = min(burst, tokens + elapsed * rate)
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}
