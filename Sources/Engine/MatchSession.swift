import Protocol
import Synchronization

/// A match behind its one boundary: commands in, ticks, and a log of both.
///
/// Everything that changes a match from outside arrives here as a
/// `MatchCommand`, applied between two ticks in the order it was given; the
/// session steps the match and tells its `MatchLog` (a recorder, or nothing)
/// what was applied, what the wall clock decided (a call stopped by the time
/// limit, a CPU budget spent) and the state hash every `checkpointEvery`
/// ticks. Replaying the log into a fresh session with the same game files,
/// seed, params and options gives the same hashes.
///
/// Confined to one thread, like its `Match`.
public final class MatchSession {
    public let match: Match
    /// The options the session was made with (its match's may also mute
    /// the lines of a replayed history: `rebuilt`).
    public let options: MatchOptions
    /// A hash checkpoint is logged every this many ticks (and at the end).
    public let checkpointEvery: Int
    /// Set at `init`, or once by `continueLog(with:)` before the session is
    /// shared (a recovered match); `detachLog` and the end only stop using it.
    private var log: (any MatchLog)?
    private var logging = true
    private var filesLogged = 0
    private var ended = false
    /// The last tick that ran to its end, readable from any thread (the
    /// host that abandons a stuck match ends the log at it).
    private let completedTick = Atomic<Int>(0)
    /// Set once the log has been given its end (readable from the thread
    /// that may abandon the match): a log is ended once.
    private let logEnded = Atomic<Bool>(false)
    /// Every command applied, tick by tick, when the session keeps its
    /// history (`keepsHistory`): what a reload replays on new rules.
    public internal(set) var history: CommandLog?

    /// What applying a command did.
    public enum Outcome: Sendable, Equatable {
        case applied
        case joined(player: Int)
        case refused(reason: String)
        /// The command named no seated player, or came after the end: nothing changed.
        case ignored
    }

    /// Starts the match (`game.init` runs) and opens the log.
    /// With `keepsHistory`, every command is also kept in memory
    /// (`history`), so the match can be rebuilt on new rules (`rebuilt`).
    public convenience init(game: GameDefinition, options: MatchOptions, log: (any MatchLog)? = nil,
                checkpointEvery: Int = 30, keepsHistory: Bool = false) throws(GameError) {
        try self.init(game: game, options: options, log: log, checkpointEvery: checkpointEvery, keepsHistory: keepsHistory,
                      replaying: nil)
    }

    /// `replaying`, when given, mutes the match's `info` lines while it is on.
    init(game: GameDefinition, options: MatchOptions, log: (any MatchLog)?, checkpointEvery: Int, keepsHistory: Bool,
         replaying: ReplayingFlag?) throws(GameError) {
        self.options = options
        var matchOptions = options
        if let replaying, let logLine = options.logLine {
            matchOptions.logLine = { line in
                if line.level == .info && replaying.isOn { return }
                logLine(line)
            }
        }
        match = try Match(game: game, options: matchOptions)
        self.checkpointEvery = max(1, checkpointEvery)
        self.log = log
        history = keepsHistory ? CommandLog() : nil
        match.reportFact = { [weak self] fact in
            guard let self, logging else { return }
            log?.record(fact: fact)
        }
        log?.begin(match: match, files: match.loadedFiles)
        filesLogged = match.loadedFiles.count
    }

    public var tick: Int { match.tick }
    public var isRunning: Bool { match.status.isRunning && !ended }

    /// Applies `command` now, before the next tick.
    @discardableResult
    public func apply(_ command: MatchCommand) -> Outcome {
        guard match.status.isRunning, !ended else { return .ignored }
        let outcome: Outcome
        switch command {
        case .join(let name, _):
            switch match.join(name: name) {
            case .joined(let id): outcome = .joined(player: id)
            case .refused(let reason): outcome = .refused(reason: reason)
            }
        case .leave(let player):
            guard match.isSeated(player) else { return .ignored }
            match.leave(playerID: player)
            outcome = .applied
        case .resume(let player):
            guard match.isSeated(player) else { return .ignored }
            match.restartInputs(of: player)
            outcome = .applied
        case .input(let player, let sequence, let values):
            guard match.isSeated(player), match.accepts(input: values) else { return .ignored }
            match.submit(input: values, from: player, sequence: sequence)
            outcome = .applied
        case .clientEvent(let player, let event, let values, let strings):
            guard match.isSeated(player), match.schema.clientEvents.indices.contains(event),
                  values.count == match.schema.clientEvents[event].fields.count,
                  zip(values, match.schema.clientEvents[event].fields).allSatisfy({ $1.type.quantizer.isValid($0) })
            else { return .ignored }
            match.submit(clientEvent: event, values: values, strings: strings, from: player)
            outcome = .applied
        case .stop:
            match.stop()
            outcome = .applied
        }
        logNewFiles()
        if logging { log?.record(command: command, outcome: outcome, beforeTick: match.tick + 1) }
        keep(command)
        return outcome
    }

    /// Runs one tick; false once the match is over.
    @discardableResult
    public func step() -> Bool {
        guard !ended else { return false }
        let running = match.step()
        completedTick.store(match.tick, ordering: .releasing)
        history?.stepped(tick: match.tick, checkpoint: nil)
        logNewFiles()
        if logging { log?.stepped(tick: match.tick, checkpoint: match.tick % checkpointEvery == 0 ? match.stateHash.value : nil) }
        return running
    }

    /// Closes the log with how the match ended. On the match's thread.
    public func end() {
        guard !ended else { return }
        closeLog(outcome: match.status.summary)
    }

    var isEnded: Bool { ended }

    /// After `closeLog`, the match plays on with nothing logged (a reload
    /// in place ended the log, not the match).
    func reopenForPlay() { ended = false }

    /// Ends the session and its log with `outcome`.
    func closeLog(outcome: String) {
        ended = true
        if logging, logEnded.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged {
            log?.end(tick: match.tick, hash: match.stateHash.value, outcome: outcome)
        }
        logging = false
    }

    /// Closes the log of a match the host gave up (`reason`), from the
    /// host's thread while the match's thread may still be stuck in a call:
    /// only the log is touched (a `MatchLog` takes this one call from another
    /// thread), at the last tick that completed; whatever the stuck thread
    /// does afterwards goes to a closed log.
    public func endAbandoned(because reason: String) {
        guard logEnded.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return }
        log?.end(tick: completedTick.load(ordering: .acquiring), hash: nil, outcome: "abandoned: \(reason)")
    }

    /// Logs what follows into `log`, which already holds what came before
    /// (`MatchRecorder(continuing:…)`): for a session rebuilt from its log
    /// (`MatchRecovery`), made without one. False, and nothing changes,
    /// when the session has a log or has ended. Call it before the session
    /// is reachable from another thread.
    @discardableResult
    public func continueLog(with log: any MatchLog) -> Bool {
        guard self.log == nil, !ended else { return false }
        self.log = log
        filesLogged = match.loadedFiles.count
        return true
    }

    /// Everything logged so far reaches the log's sink before this returns;
    /// the match is not ended (`MatchLog.flushNow`).
    public func flushLog() {
        if logging { log?.flushNow() }
    }

    /// Stops logging (a write failed, or the host chose to), keeping the match.
    public func detachLog() { logging = false }

    /// Keeps `command` in the history, which is dropped (and reloads of
    /// this match refused) once it holds `CommandLog.maxCommands`.
    private func keep(_ command: MatchCommand) {
        guard let history else { return }
        guard history.count < CommandLog.maxCommands else {
            self.history = nil
            match.report(.warning, "this match's history passed \(CommandLog.maxCommands) commands: it is no longer kept, "
                + "and a reload of the rules will not reach this match")
            return
        }
        history.record(command: command, outcome: .applied, beforeTick: match.tick + 1)
    }

    private func logNewFiles() {
        guard logging, match.fileLedger.count > filesLogged else { return }
        let files = match.loadedFiles
        for file in files[filesLogged...] { log?.record(fact: .fileLoaded(file)) }
        filesLogged = files.count
    }
}

/// Where a session tells what happened to its match, in order. Calls come
/// from the match's thread, except `end(…, outcome: "abandoned…")`, which
/// may come from the thread that gave the match up.
public protocol MatchLog: AnyObject {
    /// The match started: `game.init` ran; `files` are the game files loaded so far.
    func begin(match: Match, files: [LoadedGameFile])
    func record(command: MatchCommand, outcome: MatchSession.Outcome, beforeTick: Int)
    /// Something the wall clock decided, or a file the game loaded.
    func record(fact: MatchFact)
    /// Tick `tick` ran; `checkpoint` is its state hash every `checkpointEvery` ticks.
    func stepped(tick: Int, checkpoint: UInt64?)
    /// The match is over; `hash` is nil when it was abandoned mid-call.
    func end(tick: Int, hash: UInt64?, outcome: String)
    /// Hands everything recorded so far to where the log goes before it
    /// returns (a node handing its matches over to others).
    func flushNow()
}

extension MatchLog {
    public func flushNow() {}
}

/// What happens to a match that no command explains: the clock and the
/// file system, recorded so that a replay applies them instead of
/// re-measuring them.
public enum MatchFact: Sendable, Equatable {
    /// Lua call number `call` (counted from the match's start) was stopped
    /// by the wall-clock time limit with `error`.
    case timeLimit(call: Int, error: ReplayError)
    /// The match's CPU budget ended it at the end of tick `tick`.
    case cpuBudgetEnded(tick: Int, message: String)
    /// The game read a file (`game.lua`, or a module it `require`d).
    case fileLoaded(LoadedGameFile)
}

/// A Lua error as a replay keeps it.
public struct ReplayError: Sendable, Equatable {
    public var location: String?
    public var message: String
    public var traceback: String?

    public init(location: String?, message: String, traceback: String?) {
        self.location = location
        self.message = message
        self.traceback = traceback
    }
}

/// A file a match's rules came from, by its path inside the game's folder.
public struct LoadedGameFile: Sendable, Equatable {
    /// `game.lua`, or e.g. `lib/physics.lua` for `require("lib.physics")`.
    public var path: String
    /// The bytes; empty when a recording kept only the hash (a file too
    /// large for it).
    public var contents: [UInt8]
    /// `StateHash` of the bytes.
    public var hash: UInt64

    public init(path: String, contents: [UInt8]) {
        self.path = path
        self.contents = contents
        hash = Self.hash(of: contents)
    }

    /// A file as a recording names it.
    public init(path: String, hash: UInt64, contents: [UInt8]) {
        self.path = path
        self.contents = contents
        self.hash = hash
    }

    /// Whether the bytes are here (not only the hash).
    public var isKept: Bool { !contents.isEmpty || hash == Self.hash(of: []) }

    public static func hash(of bytes: [UInt8]) -> UInt64 {
        var h = StateHash()
        h.add(bytes: bytes)
        return h.value
    }
}
