/// The first message a server sends (docs/protocol.md, "welcome"): who the
/// client is, the match's pace, and the game's schema, so a generic client
/// decodes any game.
///
///     u8      0x01
///     varint  protocol version (`ProtocolVersion.current`)
///     varint  player id (1...255; 0 for a spectator)
///     string  match id (≤ 64 bytes)
///     varint  tick rate (1...120)
///     varint  tick of the state in the first snapshot
///     string  resume token (≤ 128 bytes; empty when sessions are off)
///     schema  (SchemaCoding.swift)
///     align
public struct Welcome: Sendable, Equatable {
    public var protocolVersion: Int
    /// 1...255; 0 for a spectator.
    public var playerID: Int
    public var matchID: String
    /// Ticks per second, 1...120.
    public var tickRate: Int
    /// Tick of the state the first snapshot brings.
    public var tick: Int
    /// Presented on reconnect to take the seat back; empty when sessions are off.
    public var resumeToken: String
    public var schema: GameSchema

    public static let maxPlayerID = 255
    public static let maxMatchIDBytes = 64
    public static let tickRates = 1...120
    public static let maxResumeTokenBytes = 128

    public init(protocolVersion: Int = ProtocolVersion.current, playerID: Int, matchID: String, tickRate: Int,
                tick: Int, resumeToken: String = "", schema: GameSchema) {
        self.protocolVersion = protocolVersion
        self.playerID = playerID
        self.matchID = matchID
        self.tickRate = tickRate
        self.tick = tick
        self.resumeToken = resumeToken
        self.schema = schema
    }

    /// Writes, reads or measures the message. A reader stops at the version
    /// when it is not ours: the rest of another version's welcome may differ.
    public mutating func serialize<S: BitStream>(_ stream: inout S) throws(ProtocolError) {
        try MessageType.welcome.serialize(&stream)
        var version = UInt64(protocolVersion)
        try stream.varint(&version)
        if stream.isReading {
            guard version == UInt64(ProtocolVersion.current) else {
                throw ProtocolError(.version, "server speaks protocol \(version), this client speaks \(ProtocolVersion.current)")
            }
            protocolVersion = Int(version)
        }
        try stream.varint(&playerID, limit: Self.maxPlayerID)
        try stream.string(&matchID, maxBytes: Self.maxMatchIDBytes)
        try stream.varint(&tickRate, limit: Self.tickRates.upperBound)
        guard Self.tickRates.contains(tickRate) else {
            throw ProtocolError(.outOfRange, "tick rate \(tickRate) is outside \(Self.tickRates)")
        }
        try stream.varint(&tick, limit: Int.max)
        try stream.string(&resumeToken, maxBytes: Self.maxResumeTokenBytes)
        try schema.serialize(&stream)
        try stream.align()
    }

    /// The message's bytes. Values outside the spec's limits are a
    /// programming error and trap.
    public func encode() -> [UInt8] {
        precondition((0...Self.maxPlayerID).contains(playerID), "player id \(playerID) is outside 0...\(Self.maxPlayerID)")
        precondition(tick >= 0, "tick \(tick) is negative")
        var copy = self
        var writer = BitWriter(capacity: 256)
        do { try copy.serialize(&writer) } catch { preconditionFailure("welcome cannot be sent: \(error)") }
        return writer.finish()
    }

    /// Reads a whole `welcome`: the type byte, our version, every limit of
    /// the spec, and nothing after the end.
    public static func decode(_ bytes: [UInt8]) throws(ProtocolError) -> Welcome {
        try MessageType.checkSize(bytes)
        var reader = BitReader(bytes)
        var welcome = Welcome(protocolVersion: 0, playerID: 0, matchID: "", tickRate: 1, tick: 0, schema: .placeholder)
        try welcome.serialize(&reader)
        try reader.expectEnd()
        return welcome
    }
}
