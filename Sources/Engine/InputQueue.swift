/// One player's inputs waiting for the next ticks, bounded.
///
/// Each tick takes the oldest waiting input. When a client sends faster than
/// the match ticks, the queue fills to `capacity` and then drops its oldest
/// input for each new one, counting what it dropped: memory stays fixed and
/// the player's latest intent always gets through.
public struct InputQueue: Sendable {
    public let capacity: Int
    public let width: Int
    private var storage: [Int64]
    private var sequences: [UInt32]
    private var head = 0
    public private(set) var count = 0
    /// Inputs dropped because the queue was full.
    public private(set) var dropped = 0
    /// Sequence number of the last input taken by a tick.
    public private(set) var lastTakenSequence: UInt32 = 0

    /// 8 inputs by default: a quarter second at 30 Hz.
    public init(width: Int, capacity: Int = 8) {
        precondition(capacity > 0 && width >= 0)
        self.capacity = capacity
        self.width = width
        storage = Array(repeating: 0, count: width * capacity)
        sequences = Array(repeating: 0, count: capacity)
    }

    public mutating func push(_ values: [Int64], sequence: UInt32) {
        precondition(values.count == width, "input has \(values.count) fields, schema has \(width)")
        if count == capacity {
            head = (head + 1) % capacity
            count -= 1
            dropped += 1
        }
        let slot = (head + count) % capacity
        var at = slot * width
        for v in values {
            storage[at] = v
            at += 1
        }
        sequences[slot] = sequence
        count += 1
    }

    /// Hands the oldest input's values to `body` and removes it; false if empty.
    public mutating func pop(_ body: (ArraySlice<Int64>) -> Void) -> Bool {
        guard count > 0 else { return false }
        body(storage[(head * width)..<(head * width + width)])
        lastTakenSequence = sequences[head]
        head = (head + 1) % capacity
        count -= 1
        return true
    }

    public mutating func removeAll() {
        head = 0
        count = 0
    }

    /// Forgets waiting inputs and the last sequence taken: a new connection
    /// for the same seat numbers its inputs from 1 again.
    public mutating func restart() {
        removeAll()
        lastTakenSequence = 0
    }
}
