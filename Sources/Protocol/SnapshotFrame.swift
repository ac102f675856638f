/// One client's `snapshot` message as its three byte-aligned parts
/// (`SnapshotMessage`): the header, which is the client's own, and the state
/// delta and events, which are shared with every client on the same
/// baseline and audience. A server copies the parts straight into its
/// outbound buffer; `bytes` joins them for everyone else.
public struct SnapshotFrame: Sendable {
    public let header: [UInt8]
    public let state: [UInt8]
    public let events: [UInt8]

    public init(header: [UInt8], state: [UInt8], events: [UInt8]) {
        self.header = header
        self.state = state
        self.events = events
    }

    /// The message's size in bytes.
    public var count: Int { header.count + state.count + events.count }

    /// The whole message.
    public var bytes: [UInt8] {
        var message = header
        message.reserveCapacity(count)
        message += state
        message += events
        return message
    }
}
