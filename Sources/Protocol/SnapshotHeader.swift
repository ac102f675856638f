/// The first bytes of a `snapshot` message, read without touching the state
/// delta behind them (docs/protocol.md, "snapshot"):
///
///     u8 0x02 | varint tick T | varint T - B (0: full) | varint B - P (0: no
///     prediction) | varint last input
///
/// Load generators read only this: tick gaps, baselines and input latency
/// need nothing else. The four varints are byte-aligned, so the header is
/// at most 41 bytes. `SnapshotMessage.decode` reads its header with
/// `read(from:)` too (tick ≤ 2³¹ − 1, distances ≤ the tick they count back
/// from): one reader for both.
public struct SnapshotHeader: Sendable, Equatable {
    /// The tick of the state the message brings.
    public var tick: Int
    /// The tick it is coded against; nil for a full snapshot.
    public var baselineTick: Int?
    /// The tick of the state the client held before the baseline, which
    /// changed values may be predicted from; nil for none.
    public var priorTick: Int?
    /// Sequence of this player's last input the server had processed (0: none yet).
    public var lastProcessedInput: UInt64

    /// 1 type byte and four varints of at most 10 bytes.
    public static let maxBytes = 41

    public init(tick: Int, baselineTick: Int?, priorTick: Int? = nil, lastProcessedInput: UInt64) {
        self.tick = tick
        self.baselineTick = baselineTick
        self.priorTick = baselineTick == nil ? nil : priorTick
        self.lastProcessedInput = lastProcessedInput
    }

    /// Reads the header at the start of `bytes`.
    public init(_ bytes: some Collection<UInt8>) throws(ProtocolError) {
        var reader = BitReader(Array(bytes.prefix(Self.maxBytes)))
        self = try Self.read(from: &reader)
    }

    /// Reads the header where `reader` stands, leaving it on the state delta.
    public static func read(from reader: inout BitReader) throws(ProtocolError) -> SnapshotHeader {
        var header = SnapshotHeader(tick: 0, baselineTick: nil, lastProcessedInput: 0)
        try header.serialize(&reader)
        return header
    }

    /// The header's bytes. A header must be valid: tick ≥ 0, the baseline
    /// older than the tick and the prior older than the baseline (writes
    /// trap otherwise); a reader also refuses a prior with the tick more
    /// than `PredictionGaps.maxAhead` past the baseline, which
    /// `SnapshotMessage.usablePrior` never picks.
    public func encode() -> [UInt8] {
        var w = BitWriter(capacity: 16)
        var copy = self
        do { try copy.serialize(&w) } catch { preconditionFailure("snapshot header cannot be sent: \(error)") }
        return w.finish()
    }

    /// Writes, reads or measures the header: written once for both sides.
    public mutating func serialize<S: BitStream>(_ stream: inout S) throws(ProtocolError) {
        var type = UInt64(SnapshotMessage.type)
        try stream.bits(&type, count: 8)
        guard type == UInt64(SnapshotMessage.type) else {
            throw ProtocolError(.unknown, "expected a snapshot (0x02), got message type \(type)")
        }
        try stream.varint(&tick, limit: Int(Int32.max))
        var distance = baselineTick.map { tick - $0 } ?? 0
        try stream.varint(&distance, limit: tick)
        let baseline = tick - distance
        var behind = priorTick.map { baseline - $0 } ?? 0
        try stream.varint(&behind, limit: distance == 0 ? 0 : baseline)
        if stream.isReading, behind > 0, distance > PredictionGaps.maxAhead {
            throw ProtocolError(.outOfRange, "snapshot \(tick) predicts over \(distance) ticks from its baseline, more than \(PredictionGaps.maxAhead)")
        }
        try stream.varint(&lastProcessedInput)
        if stream.isReading {
            baselineTick = distance == 0 ? nil : baseline
            priorTick = behind == 0 ? nil : baseline - behind
        }
    }
}
