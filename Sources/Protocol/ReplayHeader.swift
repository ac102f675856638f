/// What a replay needs to start the match again: which game, which engine,
/// and every setting that shapes the match's future (docs/replay.md).
///
/// Layout (byte-aligned fields through `BitStream`): varint-length strings
/// engine, game, game name, match id, origin; varint started-at (Unix ms);
/// 64-bit seed; count(params) then per param string key, 2-bit kind (0
/// number as a 64-bit double, 1 string, 2 bool as 1 bit); varints tick
/// rate, max players, input width, checkpoint interval; then the limits:
/// varints memory bytes, time limit ns (0: none), instruction limit (0:
/// none), failure limit (0: skip failures), max entities, input queue,
/// snapshot history, CPU share in parts per million (0: no budget), CPU
/// window ns.
public struct ReplayHeader: Sendable, Equatable {
    public var engineVersion: String
    /// The game's folder name, looked up under `games/` by a replay.
    public var game: String
    /// `game.name` from the rules.
    public var gameName: String
    public var matchID: String
    /// What recorded the match: "bots", "serve".
    public var origin: String
    public var startedAtMilliseconds: UInt64
    public var seed: Int64
    public var params: [Parameter]
    public var tickRate: Int
    public var maxPlayers: Int
    /// Values per input (`schema.input.count`).
    public var inputWidth: Int
    public var checkpointEvery: Int
    public var limits: Limits

    public struct Parameter: Sendable, Equatable {
        public enum Value: Sendable, Equatable {
            case number(Double)
            case string(String)
            case bool(Bool)
        }
        public var key: String
        public var value: Value
        public init(key: String, value: Value) {
            self.key = key
            self.value = value
        }
    }

    /// The match's limits, as recorded; 0 means "none" where a limit is optional.
    public struct Limits: Sendable, Equatable {
        public var memoryBytes: Int
        public var timeLimitNanoseconds: Int
        public var instructionLimit: Int
        /// Failures that end the match; 0: failures are skipped.
        public var failuresToEnd: Int
        public var maxEntities: Int
        public var inputQueueCapacity: Int
        public var snapshotHistory: Int
        public var cpuSharePerMillion: Int
        public var cpuWindowNanoseconds: Int

        public init(memoryBytes: Int, timeLimitNanoseconds: Int, instructionLimit: Int, failuresToEnd: Int, maxEntities: Int,
                    inputQueueCapacity: Int, snapshotHistory: Int, cpuSharePerMillion: Int, cpuWindowNanoseconds: Int) {
            self.memoryBytes = memoryBytes
            self.timeLimitNanoseconds = timeLimitNanoseconds
            self.instructionLimit = instructionLimit
            self.failuresToEnd = failuresToEnd
            self.maxEntities = maxEntities
            self.inputQueueCapacity = inputQueueCapacity
            self.snapshotHistory = snapshotHistory
            self.cpuSharePerMillion = cpuSharePerMillion
            self.cpuWindowNanoseconds = cpuWindowNanoseconds
        }
    }

    public init(engineVersion: String, game: String, gameName: String, matchID: String, origin: String,
                startedAtMilliseconds: UInt64, seed: Int64, params: [Parameter], tickRate: Int, maxPlayers: Int,
                inputWidth: Int, checkpointEvery: Int, limits: Limits) {
        self.engineVersion = engineVersion
        self.game = game
        self.gameName = gameName
        self.matchID = matchID
        self.origin = origin
        self.startedAtMilliseconds = startedAtMilliseconds
        self.seed = seed
        self.params = params
        self.tickRate = tickRate
        self.maxPlayers = maxPlayers
        self.inputWidth = inputWidth
        self.checkpointEvery = checkpointEvery
        self.limits = limits
    }

    static let maxParams = 256
    static let maxCount = Int(Int32.max)

    public mutating func serialize(_ s: inout some BitStream) throws(ProtocolError) {
        let name = ReplayLimits.maxNameBytes
        try s.string(&engineVersion, maxBytes: name)
        try s.string(&game, maxBytes: name)
        try s.string(&gameName, maxBytes: name)
        try s.string(&matchID, maxBytes: name)
        try s.string(&origin, maxBytes: name)
        try s.varint(&startedAtMilliseconds)
        var seedBits = UInt64(bitPattern: seed)
        try s.bits(&seedBits, count: 64)
        seed = Int64(bitPattern: seedBits)
        var count = params.count
        try s.count(&count, limit: Self.maxParams)
        if s.isReading { params = Array(repeating: Parameter(key: "", value: .bool(false)), count: count) }
        for i in params.indices { try params[i].serialize(&s) }
        try s.varint(&tickRate, limit: 120)
        try s.varint(&maxPlayers, limit: ReplayLimits.maxPlayer)
        try s.varint(&inputWidth, limit: ReplayLimits.maxValues)
        try s.varint(&checkpointEvery, limit: Self.maxCount)
        try limits.serialize(&s)
        guard tickRate >= 1, checkpointEvery >= 1 else {
            throw ProtocolError(.outOfRange, "tick rate \(tickRate) or checkpoint interval \(checkpointEvery) is 0")
        }
    }
}

extension ReplayHeader.Parameter {
    mutating func serialize(_ s: inout some BitStream) throws(ProtocolError) {
        try s.string(&key, maxBytes: ReplayLimits.maxNameBytes)
        var kind: UInt64
        switch value {
        case .number: kind = 0
        case .string: kind = 1
        case .bool: kind = 2
        }
        try s.bits(&kind, count: 2)
        switch kind {
        case 0:
            var d: Double = 0
            if case .number(let n) = value { d = n }
            try s.double(&d)
            value = .number(d)
        case 1:
            var text = ""
            if case .string(let t) = value { text = t }
            try s.string(&text, maxBytes: ReplayLimits.maxTextBytes)
            value = .string(text)
        case 2:
            var b = false
            if case .bool(let v) = value { b = v }
            try s.bool(&b)
            value = .bool(b)
        default: throw ProtocolError(.outOfRange, "parameter \(key) has unknown kind \(kind)")
        }
    }
}

extension ReplayHeader.Limits {
    mutating func serialize(_ s: inout some BitStream) throws(ProtocolError) {
        let limit = Int.max
        try s.varint(&memoryBytes, limit: limit)
        try s.varint(&timeLimitNanoseconds, limit: limit)
        try s.varint(&instructionLimit, limit: limit)
        try s.varint(&failuresToEnd, limit: limit)
        try s.varint(&maxEntities, limit: limit)
        try s.varint(&inputQueueCapacity, limit: 1 << 20)
        try s.varint(&snapshotHistory, limit: 1 << 20)
        try s.varint(&cpuSharePerMillion, limit: 1_000_000_000)
        try s.varint(&cpuWindowNanoseconds, limit: limit)
        guard inputQueueCapacity >= 1, snapshotHistory >= 2 else {
            throw ProtocolError(.outOfRange, "input queue \(inputQueueCapacity) or snapshot history \(snapshotHistory) too small")
        }
    }
}
