import Histogram

/// What a network bots or load run measured, summed over every connection.
public struct NetworkReport: Sendable {
    /// Connections asked for, and how many got a welcome.
    public var players = 0
    public var joined = 0
    /// The matches the server seated them in.
    public var matchIDs: Set<String> = []
    public var matches: Int { matchIDs.count }
    /// Wall time from the first connection attempt to the last close.
    public var elapsed: Duration = .zero
    public var snapshots = 0
    public var inputsSent = 0
    /// Input → snapshot latency in microseconds: from sending input `s` to
    /// the first snapshot whose last processed input is `s` or later.
    public var latency = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: NetworkReport.maxLatencyMicros,
                                           numberOfSignificantValueDigits: .three)
    /// Inputs sent that no snapshot had confirmed when the run ended.
    public var unconfirmedInputs = 0
    /// Bytes of server messages, and the seconds the connections were joined.
    public var bytesReceived = 0
    public var joinedSeconds = 0.0
    /// Bytes of the players' own messages (inputs, client events), without
    /// WebSocket framing.
    public var bytesSent = 0
    /// Snapshots that never arrived: send ticks (every tick, or those of
    /// `NetworkRun.sendRate`) between consecutive snapshots' ticks.
    public var ticksMissed = 0
    /// Failures by kind ("HTTP 503", "error: match full", "closed 1011"…),
    /// each with its count and the first full message.
    public var errors: [String: ErrorCount] = [:]
    /// Connections the server closed normally (1000) because their match
    /// ended (`game.result`, or nobody was left): not errors.
    public var matchesEnded = 0
    /// Lua errors in bot.lua (bots mode).
    public var botErrors = 0
    public var firstBotError: String?

    /// 60 s: a latency above it is recorded as 60 s.
    public static let maxLatencyMicros: UInt64 = 60_000_000

    public struct ErrorCount: Sendable, Equatable {
        public var count: Int
        public var first: String
    }

    public init() {}

    public var errorCount: Int { errors.values.reduce(0) { $0 + $1.count } }

    /// Bytes per joined player per second.
    public var bytesPerPlayerSecond: Double { joinedSeconds > 0 ? Double(bytesReceived) / joinedSeconds : 0 }

    /// Average bytes of a server message per snapshot received (events and
    /// the rare other message included), and of a player's message per input sent.
    public var bytesPerSnapshot: Double { snapshots > 0 ? Double(bytesReceived) / Double(snapshots) : 0 }
    public var bytesPerInput: Double { inputsSent > 0 ? Double(bytesSent) / Double(inputsSent) : 0 }

    /// Latency at `percentile` (0...100) in milliseconds; nil without samples.
    public func latencyMillis(_ percentile: Double) -> Double? {
        latency.totalCount == 0 ? nil : Double(latency.valueAtPercentile(percentile)) / 1000
    }

    public var maxLatencyMillis: Double? { latency.totalCount == 0 ? nil : Double(latency.max) / 1000 }

    mutating func record(error kind: String, _ message: String) {
        errors[kind, default: ErrorCount(count: 0, first: message)].count += 1
    }

    mutating func recordLatency(micros: UInt64) {
        _ = latency.record(min(max(micros, 1), Self.maxLatencyMicros))
    }

    /// Adds another part of the run (one event loop's connections).
    mutating func add(_ other: NetworkReport) {
        players += other.players
        joined += other.joined
        matchIDs.formUnion(other.matchIDs)
        snapshots += other.snapshots
        inputsSent += other.inputsSent
        latency.add(other.latency)
        unconfirmedInputs += other.unconfirmedInputs
        bytesReceived += other.bytesReceived
        bytesSent += other.bytesSent
        joinedSeconds += other.joinedSeconds
        ticksMissed += other.ticksMissed
        for (kind, e) in other.errors {
            errors[kind, default: ErrorCount(count: 0, first: e.first)].count += e.count
        }
        botErrors += other.botErrors
        matchesEnded += other.matchesEnded
        if firstBotError == nil { firstBotError = other.firstBotError }
    }
}
