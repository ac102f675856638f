import Protocol

/// Random replay headers and logs, valid by construction and leaning on the
/// edges of docs/replay.md: input values at both ends of `Int64` (but never
/// `Int64.min`, which the format does not carry), empty strings and empty
/// value lists, input sequences that wrap past 2³² − 1, players up to 65 535,
/// ticks and call numbers at their limits. For the replay tests and the seeds
/// of `FuzzReplay`.
public enum RandomReplay {
    /// A header; `inputWidth` is random (mostly small) unless given.
    public static func header(_ rng: inout SplitMix64, inputWidth: Int? = nil) -> ReplayHeader {
        let params = (0..<(rng.chance(0.3) ? 0 : rng.int(1...6))).map { i -> ReplayHeader.Parameter in
            let value: ReplayHeader.Parameter.Value
            switch rng.int(0...2) {
            case 0:
                value = .number(rng.pick([0, -0.0, 1, -1.5, 1e300, -.infinity, .infinity, .leastNonzeroMagnitude,
                                          Double(rng.int(-1000...1000)) / 8]))
            case 1: value = .string(text(&rng, maxBytes: 40))
            default: value = .bool(rng.chance(0.5))
            }
            return ReplayHeader.Parameter(key: i == 0 && rng.chance(0.2) ? "" : "param_\(i)", value: value)
        }
        let limits = ReplayHeader.Limits(
            memoryBytes: rng.pick([0, 64 << 20, Int.max]),
            timeLimitNanoseconds: rng.pick([0, 250_000_000, Int.max]),
            instructionLimit: rng.pick([0, 1_000_000, Int.max]),
            failuresToEnd: rng.pick([0, 1, 3, Int.max]),
            maxEntities: rng.pick([0, 10_000, Int.max]),
            inputQueueCapacity: rng.pick([1, 8, 1 << 20]),
            snapshotHistory: rng.pick([2, 64, 1 << 20]),
            cpuSharePerMillion: rng.pick([0, 500_000, 1_000_000_000]),
            cpuWindowNanoseconds: rng.pick([0, 1_000_000_000, Int.max]))
        return ReplayHeader(engineVersion: rng.chance(0.1) ? "" : "tickwire 0.11 (Lua 5.4)", game: text(&rng, maxBytes: 12),
                            gameName: text(&rng, maxBytes: 20), matchID: rng.chance(0.1) ? "" : "m-\(rng.next())",
                            origin: rng.pick(["bots", "serve", ""]), startedAtMilliseconds: rng.pick([0, 1_790_000_000_000, .max]),
                            seed: Int64(bitPattern: rng.pick([0, 1, .max, 1 << 63, rng.next()])), params: params,
                            tickRate: rng.pick([1, 30, 120]), maxPlayers: rng.pick([0, 1, 8, 65535]),
                            inputWidth: inputWidth ?? rng.pick([0, 1, 3, 8]),
                            checkpointEvery: rng.pick([1, 30, Int(Int32.max)]), limits: limits)
    }

    /// `count` records of a log whose inputs carry `inputWidth` values each,
    /// of every kind, in a plausible order (runs of inputs and client events
    /// between advances; a player's sequence mostly goes up by one, and
    /// repeats its values often).
    public static func records(_ rng: inout SplitMix64, count: Int, inputWidth: Int) -> [ReplayRecord] {
        var log = Log(width: inputWidth)
        var out: [ReplayRecord] = []
        while out.count < count {
            switch rng.int(0...19) {
            case 0...4: out.append(log.input(&rng))
            case 5...7: out.append(.advance(ticks: rng.chance(0.9) ? rng.int(1...40) : rng.pick([1, ReplayLimits.maxTicks + 1])))
            case 8: out.append(.command(.join(name: text(&rng, maxBytes: 20), account: rng.pick([nil, "", "acct-7", "ü"])),
                                        seat: rng.pick([0, 1, rng.int(2...64), 65535])))
            case 9: out.append(.command(.leave(player: player(&rng)), seat: 0))
            case 10: out.append(.command(.resume(player: player(&rng)), seat: 0))
            case 11, 12:
                let strings = (0..<rng.pick([0, 0, 1, 3])).map { _ in rng.bytes(rng.pick([0, 1, 8, 30])) }
                out.append(.command(.clientEvent(player: player(&rng), event: rng.pick([0, 1, 5, ReplayLimits.maxValues]),
                                                 values: (0..<rng.pick([0, 1, 4])).map { _ in value(&rng) },
                                                 strings: StringTable(strings)), seat: 0))
            case 13: out.append(.command(.stop, seat: 0))
            case 14, 15:
                out.append(.checkpoint(tick: rng.pick([0, rng.int(1...100_000), ReplayLimits.maxTicks]),
                                       hash: rng.pick([0, .max, rng.next()])))
            case 16:
                out.append(.timeLimit(call: rng.pick([0, rng.int(1...1_000_000), Int(Int32.max) << 16]),
                                      location: rng.chance(0.3) ? nil : "game.lua:\(rng.int(1...999))",
                                      message: rng.chance(0.1) ? "" : "time limit of 250 ms exceeded",
                                      traceback: rng.chance(0.5) ? nil : text(&rng, maxBytes: 80)))
            case 17:
                out.append(.cpuBudgetEnded(tick: rng.pick([0, rng.int(1...100_000), ReplayLimits.maxTicks]),
                                           message: text(&rng, maxBytes: 60)))
            case 18:
                out.append(.file(path: rng.pick(["game.lua", "lib/physics.lua", ""]), hash: rng.next(),
                                 contents: rng.bytes(rng.pick([0, 1, rng.int(2...200)]))))
            default:
                out.append(.end(tick: rng.pick([0, rng.int(1...100_000), ReplayLimits.maxTicks]),
                                hash: rng.chance(0.2) ? nil : rng.next(), outcome: text(&rng, maxBytes: 40)))
            }
        }
        return out
    }

    /// Players mostly among a few, so their contexts get reused; 0 and
    /// 65 535 now and then.
    static func player(_ rng: inout SplitMix64) -> Int {
        rng.chance(0.1) ? rng.pick([0, 1, 65535]) : rng.int(1...6)
    }

    /// An input value: both ends of `Int64` (bar `Int64.min`), small ones, any.
    static func value(_ rng: inout SplitMix64) -> Int64 {
        switch rng.int(0...5) {
        case 0: rng.pick([.max, .min + 1, .max - 1, .min + 2])
        case 1: rng.pick([0, -1, 1, 1 << 32, -(1 << 32)])
        case 2: max(.min + 1, Int64(bitPattern: rng.next()))
        default: Int64(rng.int(-300...300))
        }
    }

    /// Valid UTF-8 of 0 to `maxBytes` bytes.
    static func text(_ rng: inout SplitMix64, maxBytes: Int) -> String {
        String(decoding: RandomSchema.text(&rng, maxBytes: rng.int(0...maxBytes)), as: UTF8.self)
    }

    /// Each player's last input, so the log repeats values and continues
    /// sequences as a match's inputs do.
    struct Log {
        let width: Int
        var sequences: [Int: UInt32] = [:]
        var values: [Int: [Int64]] = [:]

        init(width: Int) { self.width = width }

        mutating func input(_ rng: inout SplitMix64) -> ReplayRecord {
            // 65 535 now and then: a reader's context grows to the highest
            // player it has seen, which a debug build feels in every read.
            let player = rng.chance(0.01) ? 65535 : rng.int(1...6)
            let last = sequences[player] ?? 0
            let sequence: UInt32
            switch rng.int(0...9) {
            case 0: sequence = rng.pick([0, 1, .max - 1, .max, UInt32(truncatingIfNeeded: rng.next())])
            case 1: sequence = last &- UInt32(rng.int(0...3))
            default: sequence = last &+ 1
            }
            sequences[player] = sequence
            let repeated = values[player].map { rng.chance(0.5) ? $0 : nil } ?? nil
            let input = repeated ?? (0..<width).map { _ in RandomReplay.value(&rng) }
            values[player] = input
            return .command(.input(player: player, sequence: sequence, values: input), seat: 0)
        }
    }
}
