import Lua

/// One running match: a game's rules in their own Lua state, its players,
/// their queued inputs, and the snapshots of recent ticks.
///
/// A match is confined to one thread (its Lua state is never touched from
/// another). It does not own a clock: whoever drives it calls `step()` once
/// per tick, on a real clock in a server or a `VirtualClock` headless.
public final class Match {
    /// The rules; replaced only by a reload in place (`Match+Reload`).
    public internal(set) var game: GameDefinition
    public let options: MatchOptions
    public var schema: GameSchema { game.schema }
    /// Seconds per tick, handed to `game.tick` as `dt`.
    public internal(set) var dt: Double

    public private(set) var tick = 0 {
        didSet { tickCounter.tick = tick }
    }
    /// `tick`, for the sandbox's `print` (made before the match is whole).
    let tickCounter = TickCounter()
    public internal(set) var status: MatchStatus = .running
    public internal(set) var snapshots: SnapshotRing
    /// Digest of every snapshot so far (and the result), for comparing runs.
    public internal(set) var stateHash = StateHash()
    public private(set) var failureCount = 0
    /// The first failures, kept for reports (later ones are only counted).
    public private(set) var failures: [ScriptFailure] = []

    let lua: LuaState
    let entry: EngineEntryPoints
    var keys: SchemaKeys
    let reader = LuaTableReader()
    /// Field codings of the schema, for snapshot messages.
    public internal(set) var coding: SnapshotCoding
    var frames = FrameCache(tick: -1)
    /// Each recent tick's views, when some player may not see everything.
    var views: ViewRing
    /// Whether the rules locked the match (`match:lock()`): matchmaking
    /// seats nobody new in it. Read after each tick and each join.
    public internal(set) var isLocked = false
    /// `schema.input`'s quantizers, for the tick loop.
    var inputQuantizers: [Quantizer]
    var seats: [Seat?]
    private var warned: Set<String> = []
    var lastValueCountHint = 0
    var lastEntityCountHint = 0
    /// Bytes of each snapshot the ring holds, by slot, and their sum
    /// (`Match+Budget`).
    var snapshotBytes: [Int]
    var historyBytes = 0
    /// Set while a snapshot is read when its strings pass one message's
    /// worth (the rest are not copied); `admits` then refuses it.
    var snapshotStringsOverflowed = false
    /// CPU spent since the last tick closed its account, and the window.
    var pendingCPU: Duration = .zero
    var cpuSpending: CPUSpending?
    /// Lua calls made since `init` (`Match+Calls`).
    var calls = 0
    /// Facts a replay applies instead of measuring (`Match+Calls`).
    var forced = ForcedFacts()
    /// Hears of what the wall clock decided (a session's log).
    public var reportFact: ((MatchFact) -> Void)?
    let fileLedger = FileLedger()

    struct Seat {
        let name: String
        var inputs: InputQueue
        /// Client events waiting for the next tick, oldest first; bounded.
        var clientEvents: [PendingClientEvent] = []
        var droppedClientEvents = 0
    }

    /// Starts a match: loads the rules into a fresh sandboxed state and runs
    /// `game.init(match, params)`. Fails if the rules fail to load or init fails.
    public init(game: GameDefinition, options: MatchOptions = MatchOptions()) throws(GameError) {
        self.game = game
        self.options = options
        dt = 1 / Double(game.tickRate)
        let history = Self.history(options, game)
        snapshots = SnapshotRing(capacity: history)
        views = ViewRing(capacity: history)
        snapshotBytes = Array(repeating: 0, count: history)
        cpuSpending = CPUSpending(budget: options.cpuBudget, period: .seconds(1) / game.tickRate)
        seats = Array(repeating: nil, count: game.maxPlayers + 1)
        inputQuantizers = game.schema.input.map(\.type.quantizer)
        coding = SnapshotCoding(game.schema)
        do {
            let options = options
            let clock = tickCounter
            let log: @Sendable (String) -> Void = { line in
                if let logLine = options.logLine {
                    logLine(MatchLogLine(level: .info, text: line, tick: clock.tick))
                } else {
                    options.log(line)
                }
            }
            lua = try LuaState(limits: options.limits)
            var sandbox = LuaSandbox(seed: options.seed, moduleRoot: game.folder, displayRoot: game.folder, print: log)
            let ledger = fileLedger
            ledger.add(LoadedGameFile(path: "game.lua", contents: Array(game.source.utf8)))
            sandbox.moduleRead = { path, bytes in ledger.add(LoadedGameFile(path: path, contents: bytes)) }
            try lua.installSandbox(sandbox)
            entry = try EngineEntryPoints(lua: lua, maxEntities: options.maxEntities)
            keys = try SchemaKeys(lua: lua, schema: game.schema, visibility: game.visibility)
            try lua.load(source: game.source, chunkName: game.chunkName)
            try lua.call(arguments: 0, results: 1)
            guard lua.stack.type(at: -1) == .table else {
                throw GameError(location: game.chunkName, message: "game.lua must end with `return game`")
            }
            try entry.setup(lua: lua, schema: game.schema)
        } catch let error as GameError {
            throw error
        } catch let error as LuaError {
            throw GameError(error)
        } catch {
            throw GameError(location: game.chunkName, message: "\(error)")
        }
        let stack = lua.stack
        do {
            stack.push(entry.initialize)
            try pushParams()
            try lua.call(arguments: 1, results: 0)
        } catch {
            throw designerError(error, context: "game.init failed")
        }
        takeSnapshot()
    }

    /// Snapshots the ring keeps: `options.snapshotHistory`, and for a game
    /// that sends less often than it ticks (`game.send_rate`) at least two
    /// sends' worth and two more ticks, so a player's baseline and prior stay
    /// in the ring and a socket full at one send may still catch up at the
    /// next (`MatchSeating.fanOut`). A game that sends every tick keeps
    /// exactly what the options say, as recordings made before send rates did.
    static func history(_ options: MatchOptions, _ game: GameDefinition) -> Int {
        let gap = game.sendSchedule.longestGap
        return gap > 1 ? max(options.snapshotHistory, 2 * gap + 2) : options.snapshotHistory
    }

    // MARK: Players

    public enum JoinOutcome: Sendable, Equatable {
        case joined(playerID: Int)
        case refused(reason: String)
    }

    /// Seats a player in the lowest free seat if `game.join` accepts them.
    public func join(name: String) -> JoinOutcome {
        guard status.isRunning else { return .refused(reason: "the match is over") }
        guard let id = (1...game.maxPlayers).first(where: { seats[$0] == nil }) else {
            return .refused(reason: "the match is full (\(game.maxPlayers) players)")
        }
        let cleanName = String(String(name.unicodeScalars.filter { $0.value >= 32 && $0.value != 127 }).prefix(32))
        let stack = lua.stack
        let base = stack.top
        let cpuStart = options.cpuClock()
        defer {
            stack.setTop(base)
            chargeCPU(since: cpuStart)
        }
        do throws(LuaError) {
            stack.push(entry.join)
            stack.push(id)
            try stack.push(string: cleanName)
            try callLua(arguments: 2, results: 2)
        } catch {
            recordFailure(error, during: "join")
            compactAfterFailure()
            return .refused(reason: "the game failed to admit the player: \(error.summary)")
        }
        guard stack.truthy(at: -2) else {
            return .refused(reason: stack.string(at: -1) ?? "refused by the game")
        }
        seats[id] = Seat(name: cleanName, inputs: InputQueue(width: schema.input.count, capacity: options.inputQueueCapacity))
        readLock()
        return .joined(playerID: id)
    }

    /// Frees a seat and runs `game.leave`.
    public func leave(playerID id: Int) {
        guard seats.indices.contains(id), seats[id] != nil else { return }
        seats[id] = nil
        let cpuStart = options.cpuClock()
        defer { chargeCPU(since: cpuStart) }
        let stack = lua.stack
        stack.push(entry.leave)
        stack.push(id)
        do throws(LuaError) { try callLua(arguments: 1, results: 0) } catch {
            recordFailure(error, during: "leave")
            compactAfterFailure()
        }
    }

    /// Seated players by id.
    public var players: [(id: Int, name: String)] {
        seats.indices.compactMap { id in seats[id].map { (id, $0.name) } }
    }

    /// Queues one input (quantized, in `schema.input` order) for the player's next tick.
    public func submit(input: [Int64], from playerID: Int, sequence: UInt32 = 0) {
        guard seats.indices.contains(playerID), seats[playerID] != nil else { return }
        seats[playerID]!.inputs.push(input, sequence: sequence)
    }

    /// Whether `values` is an input this match's schema can hold: one stored
    /// value per input field, each in its field's range. Inputs decoded by
    /// other rules (a reload changed the schema) are not.
    public func accepts(input values: [Int64]) -> Bool {
        values.count == inputQuantizers.count && zip(values, inputQuantizers).allSatisfy { $1.isValid($0) }
    }

    /// Starts a player's input sequence over (waiting inputs are dropped):
    /// their seat has moved to a new connection, which numbers from 1.
    public func restartInputs(of playerID: Int) {
        guard seats.indices.contains(playerID), seats[playerID] != nil else { return }
        seats[playerID]!.inputs.restart()
    }

    /// Sequence number of the last input of `playerID` a tick took (0: none).
    public func lastProcessedInput(of playerID: Int) -> UInt32 {
        guard seats.indices.contains(playerID) else { return 0 }
        return seats[playerID]?.inputs.lastTakenSequence ?? 0
    }

    /// Inputs dropped so far because a player's queue was full.
    public var droppedInputs: Int { seats.reduce(0) { $0 + ($1?.inputs.dropped ?? 0) } }

    /// Bytes the match's Lua state holds.
    public var memoryUsed: Int { lua.memoryUsed }

    // MARK: Ticks

    /// Runs one tick: hands each player's next input to `game.tick`, takes the
    /// snapshot, and asks `game.result`. Returns false once the match is over.
    @discardableResult
    public func step() -> Bool {
        guard status.isRunning else { return false }
        tick += 1
        let cpuStart = options.cpuClock()
        defer {
            chargeCPU(since: cpuStart)
            closeCPUAccount()
        }
        let stack = lua.stack
        let width = schema.input.count
        guard stack.reserve(Int32(4 + game.maxPlayers * (width + 1))) else {
            recordFailure(LuaError(kind: .memoryLimit, message: "no room on the Lua stack for this tick's inputs"), during: "tick")
            takeSnapshot()
            return status.isRunning
        }
        deliverClientEvents()
        guard status.isRunning else {
            takeSnapshot()
            return false
        }
        stack.push(entry.tick)
        stack.push(tick)
        stack.push(dt)
        stack.pushNil()   // the count, set below
        let countSlot = stack.top
        var count = 0
        for id in 1..<seats.count where seats[id] != nil {
            stack.push(id)
            let took = seats[id]!.inputs.pop { values in
                var f = 0
                for value in values {
                    // A vec3 or quat is a new table; if Lua has no memory
                    // for it, nil keeps the other values in their places.
                    do throws(LuaError) {
                        try stack.push(field: value, codec: inputQuantizers[f], strings: StringTable())
                    } catch {
                        stack.pushNil()
                    }
                    f += 1
                }
            }
            if took { count += 1 } else { stack.pop() }
        }
        stack.push(count)
        stack.replace(countSlot)
        do throws(LuaError) {
            try callLua(arguments: stack.top - countSlot + 3, results: 0)
        } catch {
            recordFailure(error, during: "tick")
            compactAfterFailure()
        }
        takeSnapshot()
        if status.isRunning, game.callbacks.contains("result") { checkResult() }
        return status.isRunning
    }

    /// Ends a running match from outside, between ticks: asks `game.result`
    /// one last time (if the game has it) and keeps its answer, so a server
    /// shutting down still reports how the match stood.
    public func stop() {
        guard status.isRunning else { return }
        var result: LuaResult?
        if game.callbacks.contains("result") {
            let stack = lua.stack
            stack.push(entry.result)
            do throws(LuaError) {
                try callLua(arguments: 0, results: 1)
                if stack.truthy(at: -1) { result = stack.value(at: -1) }
                stack.pop()
            } catch {
                recordFailure(error, during: "result")
            }
        }
        if status.isRunning { status = .stopped(result: result) }
    }

    private func checkResult() {
        let stack = lua.stack
        stack.push(entry.result)
        do throws(LuaError) {
            try callLua(arguments: 0, results: 1)
        } catch {
            recordFailure(error, during: "result")
            return
        }
        defer { stack.pop() }
        guard stack.truthy(at: -1) else { return }
        let result = stack.value(at: -1)
        stateHash.add(bytes: Array(result.rendered.utf8))
        status = .finished(result: result)
    }

    private func pushParams() throws(LuaError) {
        let stack = lua.stack
        try stack.pushTable(recordCapacity: options.params.count)
        for (key, value) in options.params.sorted(by: { $0.key < $1.key }) {
            try stack.push(string: key)
            switch value {
            case .number(let d): d == d.rounded() && abs(d) < 1e15 ? stack.push(Int64(d)) : stack.push(d)
            case .string(let s): try stack.push(string: s)
            case .bool(let b): stack.push(b)
            }
            try stack.rawSet(table: -3)
        }
    }

    // MARK: Failures

    /// A failed callback skipped the prelude's `compact`: entities it
    /// despawned would still be listed in the snapshot.
    func compactAfterFailure() {
        lua.stack.push(entry.compact)
        try? callLua(arguments: 0, results: 0)
    }

    func recordFailure(_ error: LuaError, during callback: String) {
        recordFailure(ScriptFailure(tick: tick, callback: callback, error: designerError(error)))
    }

    /// `error` as the designer reads it: with "did you mean match:spawn?"
    /// when it comes of a method `match` does not have.
    func designerError(_ error: LuaError, context: String? = nil) -> GameError {
        let plain = GameError(error, context: context)
        guard let hint = game.matchMethodHint(for: error) else { return plain }
        return GameError(location: plain.location, message: "\(plain.message) (\(hint))",
                         traceback: plain.traceback, kind: plain.kind)
    }

    func recordFailure(_ failure: ScriptFailure) {
        failureCount += 1
        if failures.count < 16 { failures.append(failure) }
        report(.error, failure.description)
        if case .endMatch(let limit) = options.failurePolicy, failureCount >= limit {
            status = .failed(failure)
            report(.error, "match ended after \(failureCount) script failure\(failureCount == 1 ? "" : "s")")
        }
    }

    /// Reports a value of the wrong Lua type in a declared field, once per field.
    func warnOnce(_ key: String, stored: String = "0", _ message: @autoclosure () -> String) {
        guard !warned.contains(key) else { return }
        warned.insert(key)
        report(.warning, "\(game.chunkName): warning: \(message()) (stored as \(stored); reported once)")
    }

    /// A line about the match, at `level` (`MatchOptions.logLine`, or `log`).
    func report(_ level: MatchLogLine.Level, _ text: String) {
        if let logLine = options.logLine {
            logLine(MatchLogLine(level: level, text: text, tick: tick))
        } else {
            options.log(text)
        }
    }
}

