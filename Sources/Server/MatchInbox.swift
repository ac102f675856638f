import NIOConcurrencyHelpers
import NIOCore
import Protocol

/// What connections hand a match between its ticks. Connections append from
/// their own event loops under a lock, without waking the match's loop; the
/// match drains everything at the start of its next tick, which is the
/// earliest moment an input could matter anyway.
///
/// Bounded: each connection's frames are rate limited (the WebSocket layer's
/// `maxFramesPerSecond`, see `PlayerConnection`) before they get here, and the match drains it every tick.
final class MatchInbox: Sendable {
    enum Item: Sendable {
        /// `rules` is the generation of the rules whose schema decoded it
        /// (`MatchHost.Rules`): the match drops what a reload made stale.
        case input(player: Int, link: Int, rules: Int, InputMessage)
        case clientEvent(player: Int, link: Int, rules: Int, ClientEventMessage)
        /// The last tick a client applied, and when the ack arrived (on the
        /// match's `ServerClock`).
        case ack(player: Int, link: Int, tick: Int, at: NIODeadline)
    }

    private let items = NIOLockedValueBox<[Item]>([])

    func post(_ item: Item) {
        items.withLockedValue { $0.append(item) }
    }

    /// Everything posted since the last drain, in arrival order.
    func drain() -> [Item] {
        items.withLockedValue { pending in
            defer { pending.removeAll(keepingCapacity: true) }
            return pending
        }
    }
}
