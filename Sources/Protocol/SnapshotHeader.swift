/// The first bytes of a `snapshot` message, read without touching the state
/// delta behind them (docs/protocol.md, "snapshot"):
///
///     u8 0x02 | varint tick T | varint T - B (0: full) | varint last input
///
/// Load generators read only this: tick gaps, baselines and input latency
/// need nothing else. The three varints are byte-aligned, so the header is
/// at most 31 bytes. `SnapshotMessage.decode` reads its header with
/// `read(from:)` too (tick ≤ 2³¹ − 1, distance ≤ tick): one reader for both.
public struct SnapshotHeader: Sendable, Equatable {
    /// The tick of the state the message brings.
    public var tick: Int
    /// The tick it is coded against; nil for a full snapshot.
    public var baselineTick: Int?
    /// Sequence of this player's last input the server had processed (0: none yet).
    public var lastProcessedInput: UInt64

    /// 1 type byte and three varints of at most 10 bytes.
    public static let maxBytes = 31

    public init(tick: Int, baselineTick: Int?, lastProcessedInput: UInt64) {
        self.tick = tick
        self.baselineTick = baselineTick
        self.lastProcessedInput = lastProcessedInput
    }

    /// Reads the header at the start of `bytes`.
    public init(_ bytes: some Collection<UInt8>) throws(ProtocolError) {
        var reader = BitReader(Array(bytes.prefix(Self.maxBytes)))
        self = try Self.read(from: &reader)
    }

    /// Reads the header where `reader` stands, leaving it on the state delta.
    public static func read(from reader: inout BitReader) throws(ProtocolError) -> SnapshotHeader {
        var type: UInt64 = 0
        try reader.bits(&type, count: 8)
        guard type == UInt64(SnapshotMessage.type) else {
            throw ProtocolError(.unknown, "expected a snapshot (0x02), got message type \(type)")
        }
        var tick = 0
        try reader.varint(&tick, limit: Int(Int32.max))
        var distance = 0
        try reader.varint(&distance, limit: tick)
        var lastInput: UInt64 = 0
        try reader.varint(&lastInput)
        return SnapshotHeader(tick: tick, baselineTick: distance == 0 ? nil : tick - distance, lastProcessedInput: lastInput)
    }
}
