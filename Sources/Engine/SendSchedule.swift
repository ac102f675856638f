/// Which ticks' snapshots go out to players: `sendRate` of every
/// `tickRate` ticks (`game.send_rate`), spread evenly.
///
/// A game that simulates at 60 Hz may send at 20: the match still ticks,
/// and takes inputs, 60 times a second, but players are handed a frame
/// after every third tick only. A frame whose baseline is older than the
/// tick before carries the events of every tick since (`Match.frame`), so
/// nobody misses one; its last processed input is that of the frame's tick.
///
/// Tick n is a send tick when ⌊n · sendRate / tickRate⌋ differs from
/// ⌊(n − 1) · sendRate / tickRate⌋: every k-th tick when the tick rate is
/// k times the send rate, and otherwise gaps of ⌊tickRate / sendRate⌋ and
/// ⌈tickRate / sendRate⌉ ticks, evenly mixed (60 Hz at 25: 3, 2, 3, 2, 2…).
public struct SendSchedule: Sendable, Equatable {
    /// Ticks per second, 1...120.
    public let tickRate: Int
    /// Snapshots per second, 1...`tickRate`.
    public let sendRate: Int

    /// A tick rate below 1 counts as 1 and a send rate outside
    /// 1...`tickRate` as the nearest end (`GameDefinition` refuses such a
    /// `game.send_rate` with a message first; a network client takes the
    /// rates it is told).
    public init(tickRate: Int, sendRate: Int) {
        self.tickRate = max(tickRate, 1)
        self.sendRate = min(max(sendRate, 1), self.tickRate)
    }

    /// Frames after every tick (a replay played back, a test).
    public static let everyTick = SendSchedule(tickRate: 1, sendRate: 1)

    /// Whether frames go out after `tick`. Tick 0 (the state `game.init`
    /// left) counts as one.
    public func sends(tick: Int) -> Bool {
        guard sendRate < tickRate, tick > 0 else { return true }
        return tick * sendRate / tickRate != (tick - 1) * sendRate / tickRate
    }

    /// Send ticks strictly between ticks `a` and `b` (0 ≤ a < b): the
    /// frames a client that got tick a's and then tick b's never saw.
    public func sends(between a: Int, and b: Int) -> Int {
        guard a >= 0, b > a + 1 else { return 0 }
        return (b - 1) * sendRate / tickRate - a * sendRate / tickRate
    }

    /// The most ticks from one send to the next: ⌈tickRate / sendRate⌉.
    public var longestGap: Int { (tickRate + sendRate - 1) / sendRate }
}
