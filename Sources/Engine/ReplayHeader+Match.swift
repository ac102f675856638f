import Foundation
import Lua
import Protocol

/// The engine's version as a replay header names it: a replay made by
/// another version may diverge, and says so.
public enum EngineVersion {
    public static let current = "tickwire 0.11 (Lua \(LuaState.version))"
}

extension ReplayHeader {
    /// The header of a recording of a match of `game` run with `options`.
    public init(game: GameDefinition, options: MatchOptions, matchID: String, origin: String,
                checkpointEvery: Int, startedAt: Date = Date()) {
        let limits = options.limits
        let failures: Int
        switch options.failurePolicy {
        case .skipTick: failures = 0
        case .endMatch(let n): failures = max(1, n)
        }
        self.init(engineVersion: EngineVersion.current, game: URL(fileURLWithPath: game.folder).lastPathComponent,
                  gameName: game.name, matchID: matchID, origin: origin,
                  startedAtMilliseconds: UInt64(max(0, startedAt.timeIntervalSince1970 * 1000)),
                  seed: options.seed,
                  params: options.params.sorted { $0.key < $1.key }.map { key, value in
                      switch value {
                      case .number(let d): Parameter(key: key, value: .number(d))
                      case .string(let s): Parameter(key: key, value: .string(s))
                      case .bool(let b): Parameter(key: key, value: .bool(b))
                      }
                  },
                  tickRate: game.tickRate, maxPlayers: game.maxPlayers, inputWidth: game.schema.input.count,
                  checkpointEvery: checkpointEvery,
                  limits: Limits(memoryBytes: max(0, limits.memoryBytes),
                                 timeLimitNanoseconds: Int(clamping: limits.timeLimit.map(\.nanoseconds) ?? 0),
                                 instructionLimit: max(0, limits.instructionLimit ?? 0), failuresToEnd: failures,
                                 maxEntities: max(0, options.maxEntities), inputQueueCapacity: max(1, options.inputQueueCapacity),
                                 snapshotHistory: max(2, options.snapshotHistory),
                                 cpuSharePerMillion: Int(((options.cpuBudget.share ?? 0) * 1_000_000).rounded()),
                                 cpuWindowNanoseconds: Int(clamping: options.cpuBudget.window.nanoseconds)))
    }

    /// Options that play the recorded match again: the recorded seed,
    /// params and limits, except what the clock decided. The CPU budget is
    /// off (its end is a recorded fact), and the time limit is ten times the
    /// recorded one (at least 5 s), so a busy machine does not stop a call
    /// the recording let finish; the calls it did stop are recorded facts.
    public var replayOptions: MatchOptions {
        let l = limits
        let recordedTime = Duration.nanoseconds(Int64(l.timeLimitNanoseconds))
        let time = l.timeLimitNanoseconds > 0 ? max(recordedTime * 10, .seconds(5)) : nil
        var options = MatchOptions(seed: seed,
                                   limits: LuaLimits(memoryBytes: l.memoryBytes, timeLimit: time,
                                                     instructionLimit: l.instructionLimit > 0 ? l.instructionLimit : nil),
                                   failurePolicy: l.failuresToEnd == 0 ? .skipTick : .endMatch(afterFailures: l.failuresToEnd),
                                   maxEntities: l.maxEntities, inputQueueCapacity: min(l.inputQueueCapacity, 1024),
                                   snapshotHistory: min(l.snapshotHistory, 1024),
                                   cpuBudget: .unlimited)
        options.params = Dictionary(params.map { p in
            switch p.value {
            case .number(let d): (p.key, MatchParameter.number(d))
            case .string(let s): (p.key, MatchParameter.string(s))
            case .bool(let b): (p.key, MatchParameter.bool(b))
            }
        }, uniquingKeysWith: { _, last in last })
        return options
    }
}
