extension Snapshot {
    /// Bytes this snapshot keeps alive: its values, entities, events and
    /// strings (array headers and allocator rounding left out). A match counts
    /// the snapshots it holds against its memory cap with this.
    public var retainedBytes: Int {
        match.count * MemoryLayout<Int64>.stride
            + values.count * MemoryLayout<Int64>.stride
            + entities.count * MemoryLayout<Entity>.stride
            + events.count * MemoryLayout<Event>.stride
            + strings.byteCount
    }

    /// A cheap upper bound on the bytes of this snapshot's full state and
    /// every event as one message: every value at 64 bits plus a presence
    /// bit, every entity's id and kind at their widest, every event's header,
    /// every string with its length. When it is below the message limit the
    /// exact size need not be computed.
    public var messageBytesBound: Int {
        let valueBits = (match.count + values.count) * 65
        let entityBits = entities.count * (80 + 16)
        let eventBits = events.count * (1 + 80 + 16)
        return 64 + (valueBits + entityBits + eventBits) / 8 + strings.byteCount + strings.count * 9
    }
}
