/// Sent as an outbound user event (`context.triggerUserOutboundEvent`) to
/// change a live connection's `maxFramesPerSecond`, for instance once the
/// application knows how fast its peer may legitimately send (the game
/// server allows 4 frames per tick of the client's game). A new rate starts
/// with a full burst; the same rate again changes nothing. nil removes the
/// limit.
public struct WebSocketFrameRate: Sendable, Hashable {
    public var perSecond: Int?

    public init(perSecond: Int?) {
        self.perSecond = perSecond
    }
}
