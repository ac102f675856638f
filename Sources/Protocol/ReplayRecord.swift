/// One entry of a replay's log, in the order the match met it.
///
/// The log is a match's commands with the ticks between them (`advance`),
/// what the wall clock decided (`timeLimit`, `cpuBudgetEnded`), the files the
/// rules were read from, state hashes to check against, and the end.
///
/// Ordering rule: a fact that happened while a command was applied or a tick
/// ran comes before that command or that `advance`, so a reader learns of it
/// before it has to apply it.
public enum ReplayRecord: Sendable, Equatable {
    /// Runs this many ticks (≥ 1) with no command between them.
    case advance(ticks: Int)
    /// A command applied before the next tick. For a join, `seat` is the seat
    /// the match gave (0: it refused); 0 for every other command.
    case command(MatchCommand, seat: Int)
    /// The state hash after tick `tick`.
    case checkpoint(tick: Int, hash: UInt64)
    /// Lua call number `call` (counted from the match's start) was stopped by
    /// the wall-clock time limit with this error.
    case timeLimit(call: Int, location: String?, message: String, traceback: String?)
    /// The match's CPU budget ended it at the end of tick `tick`.
    case cpuBudgetEnded(tick: Int, message: String)
    /// A file the rules were read from: `game.lua`, or a module `require`d
    /// (its path inside the game's folder), with its hash (`StateHash` of
    /// the bytes) and its bytes.
    case file(path: String, hash: UInt64, contents: [UInt8])
    /// The match ended after tick `tick`; `hash` is nil when the host gave it
    /// up in the middle of a call (its state is then unknown).
    case end(tick: Int, hash: UInt64?, outcome: String)
}

/// Bounds a reader holds every record to, so a hostile file costs bounded
/// memory per record whatever lengths it claims.
public enum ReplayLimits {
    public static let maxNameBytes = 1024
    public static let maxTextBytes = 64 << 10
    public static let maxFileBytes = 4 << 20
    public static let maxValues = 4096
    public static let maxStrings = 4096
    public static let maxPlayer = 65535
    public static let maxTicks = 1 << 40
}

/// Codes records against what came before them: inputs repeat a player's
/// previous values or sequence + 1 most ticks, so those cost a bit or two.
///
/// Layout of one record (bit-packed, least significant bit first, as
/// `BitWriter`): a 3-bit tag, then
///
///     0 advance        count(ticks - 1)
///     1 input          player: gap from the previous input's player in the
///                      same run of inputs (signed), sequence: signed gap from
///                      the player's last sequence + 1, 1 bit "same values as
///                      the player's last input", else each value signed
///     2 join           string name, 1 bit + string account, count(seat)
///     3 leave          count(player)      4 resume   count(player)
///     5 client event   count(player), count(event), count(n) + n signed
///                      values, count(k) + k byte strings
///     6 stop
///     7 extended       count(kind): 0 checkpoint count(tick) + 64-bit hash;
///                      1 time limit count(call) + optional string location,
///                      string message, optional string traceback;
///                      2 CPU budget count(tick) + string message;
///                      3 file string path + 64-bit hash + bytes contents;
///                      4 end count(tick) + optional 64-bit hash + string outcome
///
/// "signed" is `count` of the zigzag mapping (0, -1, 1, -2 … → 0, 1, 2, 3 …).
/// The context carries across chunks: a reader must read every chunk in order.
public struct ReplayRecordCoder: Sendable {
    /// Width of an input (values per input), from the header.
    public let inputWidth: Int
    /// By player id (grown as players appear; ids are at most `ReplayLimits.maxPlayer`).
    private var lastSequence: [UInt32] = []
    private var lastValues: [[Int64]?] = []
    /// Player of the previous record when it was an input, for gaps.
    private var previousInputPlayer = 0

    public init(inputWidth: Int) {
        self.inputWidth = inputWidth
    }

    public mutating func serialize(_ record: inout ReplayRecord, _ s: inout some BitStream) throws(ProtocolError) {
        var tag: UInt64 = 0
        var kind = 0
        switch record {
        case .advance: tag = 0
        case .command(let command, _):
            switch command {
            case .input: tag = 1
            case .join: tag = 2
            case .leave: tag = 3
            case .resume: tag = 4
            case .clientEvent: tag = 5
            case .stop: tag = 6
            }
        case .checkpoint: (tag, kind) = (7, 0)
        case .timeLimit: (tag, kind) = (7, 1)
        case .cpuBudgetEnded: (tag, kind) = (7, 2)
        case .file: (tag, kind) = (7, 3)
        case .end: (tag, kind) = (7, 4)
        }
        try s.bits(&tag, count: 3)
        if tag != 1 { previousInputPlayer = 0 }
        switch tag {
        case 0:
            var ticks = 0
            if case .advance(let n) = record { ticks = n - 1 }
            try s.count(&ticks, limit: ReplayLimits.maxTicks)
            record = .advance(ticks: ticks + 1)
        case 1: try input(&record, &s)
        case 2:
            var (name, account, seat) = ("", "", 0)
            var hasAccount = false
            if case .command(.join(let n, let a), let st) = record { (name, account, hasAccount, seat) = (n, a ?? "", a != nil, st) }
            try s.string(&name, maxBytes: ReplayLimits.maxNameBytes)
            try s.bool(&hasAccount)
            if hasAccount { try s.string(&account, maxBytes: ReplayLimits.maxNameBytes) }
            try s.count(&seat, limit: ReplayLimits.maxPlayer)
            record = .command(.join(name: name, account: hasAccount ? account : nil), seat: seat)
        case 3, 4:
            var player = record.commandPlayer
            try s.count(&player, limit: ReplayLimits.maxPlayer)
            record = .command(tag == 3 ? .leave(player: player) : .resume(player: player), seat: 0)
        case 5: try clientEvent(&record, &s)
        case 6: record = .command(.stop, seat: 0)
        default: try extended(&record, kind: kind, &s)
        }
    }

    private mutating func input(_ record: inout ReplayRecord, _ s: inout some BitStream) throws(ProtocolError) {
        var (player, sequence, values) = (0, UInt32(0), [Int64]())
        if case .command(.input(let p, let q, let v), _) = record { (player, sequence, values) = (p, q, v) }
        var gap = Int64(player - previousInputPlayer)
        try s.signed(&gap)
        // Checked before it is added: a gap near Int64.max would overflow.
        guard (-Int64(ReplayLimits.maxPlayer)...Int64(ReplayLimits.maxPlayer)).contains(gap) else {
            throw ProtocolError(.outOfRange, "input player gap \(gap), outside ±\(ReplayLimits.maxPlayer)")
        }
        player = previousInputPlayer + Int(gap)
        guard (1...ReplayLimits.maxPlayer).contains(player) else {
            throw ProtocolError(.outOfRange, "input for player \(player), outside 1...\(ReplayLimits.maxPlayer)")
        }
        previousInputPlayer = player
        if player >= lastSequence.count {
            lastSequence.append(contentsOf: repeatElement(0, count: player + 1 - lastSequence.count))
            lastValues.append(contentsOf: repeatElement(nil, count: player + 1 - lastValues.count))
        }
        let expected = lastSequence[player] &+ 1
        var step = Int64(Int32(bitPattern: sequence &- expected))
        try s.signed(&step)
        guard let step32 = Int32(exactly: step) else { throw ProtocolError(.outOfRange, "sequence gap \(step) is not 32-bit") }
        sequence = expected &+ UInt32(bitPattern: step32)
        lastSequence[player] = sequence
        var same = !s.isReading && lastValues[player] == values
        try s.bool(&same)
        if same {
            guard let last = lastValues[player] else { throw ProtocolError(.outOfRange, "player \(player)'s first input repeats nothing") }
            values = last
        } else {
            if s.isReading { values = Array(repeating: 0, count: inputWidth) }
            guard values.count == inputWidth else { throw ProtocolError(.outOfRange, "input of \(values.count) values, width \(inputWidth)") }
            try s.signed(each: &values)
            lastValues[player] = values
        }
        if s.isReading { record = .command(.input(player: player, sequence: sequence, values: values), seat: 0) }
    }

    private mutating func clientEvent(_ record: inout ReplayRecord, _ s: inout some BitStream) throws(ProtocolError) {
        var (player, event, values, strings) = (0, 0, [Int64](), [[UInt8]]())
        if case .command(.clientEvent(let p, let e, let v, let t), _) = record {
            (player, event, values, strings) = (p, e, v, t.indices.map { t[$0] })
        }
        try s.count(&player, limit: ReplayLimits.maxPlayer)
        try s.count(&event, limit: ReplayLimits.maxValues)
        var n = values.count
        try s.count(&n, limit: min(ReplayLimits.maxValues, s.remainingBits))
        if s.isReading { values = Array(repeating: 0, count: n) }
        try s.signed(each: &values)
        var k = strings.count
        try s.count(&k, limit: min(ReplayLimits.maxStrings, s.remainingBits))
        if s.isReading { strings = Array(repeating: [], count: k) }
        for i in strings.indices { try s.bytes(&strings[i], maxBytes: ReplayLimits.maxTextBytes) }
        record = .command(.clientEvent(player: player, event: event, values: values, strings: StringTable(strings)), seat: 0)
    }

    private func extended(_ record: inout ReplayRecord, kind: Int, _ s: inout some BitStream) throws(ProtocolError) {
        var kind = kind
        try s.count(&kind, limit: 4)
        switch kind {
        case 0:
            var (tick, hash) = (0, UInt64(0))
            if case .checkpoint(let t, let h) = record { (tick, hash) = (t, h) }
            try s.count(&tick, limit: ReplayLimits.maxTicks)
            try s.bits(&hash, count: 64)
            record = .checkpoint(tick: tick, hash: hash)
        case 1:
            var (call, location, message, traceback) = (0, String?.none, "", String?.none)
            if case .timeLimit(let c, let l, let m, let t) = record { (call, location, message, traceback) = (c, l, m, t) }
            try s.count(&call, limit: Int(Int32.max) << 16)
            try s.optionalString(&location)
            try s.string(&message, maxBytes: ReplayLimits.maxTextBytes)
            try s.optionalString(&traceback)
            record = .timeLimit(call: call, location: location, message: message, traceback: traceback)
        case 2:
            var (tick, message) = (0, "")
            if case .cpuBudgetEnded(let t, let m) = record { (tick, message) = (t, m) }
            try s.count(&tick, limit: ReplayLimits.maxTicks)
            try s.string(&message, maxBytes: ReplayLimits.maxTextBytes)
            record = .cpuBudgetEnded(tick: tick, message: message)
        case 3:
            var (path, hash, contents) = ("", UInt64(0), [UInt8]())
            if case .file(let p, let h, let c) = record { (path, hash, contents) = (p, h, c) }
            try s.string(&path, maxBytes: ReplayLimits.maxNameBytes)
            try s.bits(&hash, count: 64)
            try s.bytes(&contents, maxBytes: ReplayLimits.maxFileBytes)
            record = .file(path: path, hash: hash, contents: contents)
        default:
            var (tick, hash, outcome) = (0, UInt64?.none, "")
            if case .end(let t, let h, let o) = record { (tick, hash, outcome) = (t, h, o) }
            try s.count(&tick, limit: ReplayLimits.maxTicks)
            var has = hash != nil
            try s.bool(&has)
            var value = hash ?? 0
            if has { try s.bits(&value, count: 64) }
            try s.string(&outcome, maxBytes: ReplayLimits.maxTextBytes)
            record = .end(tick: tick, hash: has ? value : nil, outcome: outcome)
        }
    }
}

extension ReplayRecord {
    /// The record within `ReplayLimits`: texts cut (at a character) to
    /// their limit, a file too large to keep recorded by its hash alone
    /// (empty contents), values and strings past their counts dropped.
    /// Real games never come near them; a hostile one must not stop the
    /// writer.
    public var fittingLimits: ReplayRecord {
        func cut(_ text: String, _ limit: Int) -> String {
            guard text.utf8.count > limit else { return text }
            var out = ""
            for character in text {
                guard out.utf8.count + character.utf8.count <= limit else { break }
                out.append(character)
            }
            return out
        }
        func cut(_ text: String?, _ limit: Int) -> String? { text.map { cut($0, limit) } }
        let name = ReplayLimits.maxNameBytes, text = ReplayLimits.maxTextBytes
        switch self {
        case .advance, .checkpoint, .command(.leave, _), .command(.resume, _), .command(.stop, _), .command(.input, _):
            return self
        case .command(.join(let n, let account), let seat):
            return .command(.join(name: cut(n, name), account: cut(account, name)), seat: seat)
        case .command(.clientEvent(let player, let event, let values, let strings), let seat):
            let kept = strings.indices.prefix(ReplayLimits.maxStrings).map { Array(strings[$0].prefix(text)) }
            return .command(.clientEvent(player: player, event: event, values: Array(values.prefix(ReplayLimits.maxValues)),
                                         strings: StringTable(kept)), seat: seat)
        case .timeLimit(let call, let location, let message, let traceback):
            return .timeLimit(call: call, location: cut(location, text), message: cut(message, text), traceback: cut(traceback, text))
        case .cpuBudgetEnded(let tick, let message):
            return .cpuBudgetEnded(tick: tick, message: cut(message, text))
        case .file(let path, let hash, let contents):
            return .file(path: cut(path, name), hash: hash, contents: contents.count <= ReplayLimits.maxFileBytes ? contents : [])
        case .end(let tick, let hash, let outcome):
            return .end(tick: tick, hash: hash, outcome: cut(outcome, text))
        }
    }

    /// Roughly the bytes the record takes, for splitting chunks.
    var sizeEstimate: Int {
        switch self {
        case .file(_, _, let contents): 64 + contents.count
        case .command(.clientEvent(_, _, let values, let strings), _): 16 + values.count * 4 + strings.byteCount
        case .timeLimit(_, let location, let message, let traceback):
            16 + (location?.utf8.count ?? 0) + message.utf8.count + (traceback?.utf8.count ?? 0)
        case .end(_, _, let outcome): 24 + outcome.utf8.count
        default: 16
        }
    }

    fileprivate var commandPlayer: Int {
        if case .command(let command, _) = self { return command.player ?? 0 }
        return 0
    }
}

extension BitStream {
    /// A signed integer as `count` of its zigzag mapping: small magnitudes of
    /// either sign are short. `Int64.min` is written as `Int64.min + 1`
    /// (no quantized value reaches it).
    mutating func signed(_ value: inout Int64) throws(ProtocolError) {
        let v = max(value, Int64.min + 1)
        var zigzag = UInt64(bitPattern: (v << 1) ^ (v >> 63))
        var coded = zigzag + 1
        try gamma(&coded)
        if isReading {
            guard coded >= 1 else { throw ProtocolError(.outOfRange, "bad signed value") }
            zigzag = coded - 1
            value = Int64(bitPattern: (zigzag >> 1) ^ (0 &- (zigzag & 1)))
        }
    }

    /// Each of `values` as `signed`. Writing does not touch the array, so a
    /// shared one is not copied.
    mutating func signed(each values: inout [Int64]) throws(ProtocolError) {
        if isReading {
            for i in values.indices { try signed(&values[i]) }
        } else {
            for value in values {
                var v = value
                try signed(&v)
            }
        }
    }

    /// A flag, then the string if the flag is set.
    mutating func optionalString(_ value: inout String?) throws(ProtocolError) {
        var has = value != nil
        try bool(&has)
        var text = value ?? ""
        if has { try string(&text, maxBytes: ReplayLimits.maxTextBytes) }
        value = has ? text : nil
    }
}
