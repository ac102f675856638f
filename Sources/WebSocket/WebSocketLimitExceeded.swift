/// Fired as an inbound user event (`context.fireUserInboundEventTriggered`)
/// when the peer breaks one of the connection's limits, at most once per
/// connection.
///
/// The next handler may close the connection its own way while it handles
/// the event (write a message, then `WebSocketOutbound.close` with its own
/// code, as the game server does with `error` 8 / 4008 and 7 / 4007). If the
/// connection is still open once the event has passed, `WebSocketHandler`
/// fails it with 1008 (policy violation). Either way nothing more the peer
/// sends is delivered.
public enum WebSocketLimitExceeded: Sendable, Hashable, CustomStringConvertible {
    /// More frames than `maxFramesPerSecond` (the value, frames per second)
    /// allows, counting every frame: data, continuation and control.
    case frameRate(perSecond: Int)
    /// More than `maxOutboundBytes` (the value, in bytes) would wait unsent
    /// in the outbound buffer: the peer does not read fast enough.
    case outboundBytes(Int)

    public var description: String {
        switch self {
        case .frameRate(let rate): "more than \(rate) frames per second"
        case .outboundBytes(let bytes): "more than \(bytes) bytes waiting to be sent: the peer does not read"
        }
    }
}
