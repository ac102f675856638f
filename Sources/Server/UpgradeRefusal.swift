import NIOCore

/// Why the WebSocket upgrade of this connection's request was declined, set
/// by the upgrader and read by `HTTPEndpoints`, which then answers the
/// request with that status and reason (NIO hands a declined upgrade on as a
/// plain HTTP request). One per connection, used on its event loop only.
final class UpgradeRefusal: @unchecked Sendable {
    var refusal: HTTPRefusal?

    init() {}
}
