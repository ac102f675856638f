import Foundation
import Protocol

/// Records one match into a replay file as it plays (docs/replay.md).
///
/// Records wait in memory and go to the file as one checksummed chunk every
/// `flushEveryTicks` ticks (a second of play by default) and at the end, so
/// a crash or SIGKILL leaves a file that replays up to its last flush. A
/// write that fails (a full disk, a bounded folder that refuses the bytes)
/// stops the recording, with one call to `stopped`, and never the match.
///
/// Inputs and client events of different players between two other records
/// do not affect each other (each player has their own queue), so they are
/// written sorted by player: the player gaps then cost a bit.
///
/// Used from the match's thread; `end` may also come from the thread that
/// gave the match up, so the state is behind a lock.
public final class MatchRecorder: MatchLog, @unchecked Sendable {
    public struct Settings: Sendable {
        public var matchID: String
        /// What records: "bots", "serve".
        public var origin: String
        /// Ticks between flushes; nil: only when `flushBytes` are waiting and at the end.
        public var flushEveryTicks: Int?
        public var flushBytes = 256 << 10
        public var checkpointEvery: Int

        public init(matchID: String, origin: String, flushEveryTicks: Int?, checkpointEvery: Int = 30) {
            self.matchID = matchID
            self.origin = origin
            self.flushEveryTicks = flushEveryTicks
            self.checkpointEvery = checkpointEvery
        }
    }

    private let lock = NSLock()
    private let sink: any ReplaySink
    private let settings: Settings
    private let stopped: @Sendable (String) -> Void
    private var encoder: ReplayEncoder
    private var header: ReplayHeader
    private var pending: [ReplayRecord] = []
    /// Inputs and client events since the last other record, not yet sorted.
    private var run: [ReplayRecord] = []
    private var advance = 0
    private var ticksSinceFlush = 0
    private var pendingEstimate = 0
    private var started = false
    private var failed = false
    private var finished = false
    /// The last tick whose records reached the file.
    public private(set) var flushedTick = 0

    /// Records a match of `game` run with `options` into `sink`; `stopped`
    /// hears once why recording stopped early.
    public init(game: GameDefinition, options: MatchOptions, settings: Settings, sink: any ReplaySink,
                stopped: @escaping @Sendable (String) -> Void = { _ in }) {
        self.sink = sink
        self.settings = settings
        self.stopped = stopped
        header = ReplayHeader(game: game, options: options, matchID: settings.matchID, origin: settings.origin,
                              checkpointEvery: settings.checkpointEvery)
        encoder = ReplayEncoder(inputWidth: game.schema.input.count)
    }

    public func begin(match: Match, files: [LoadedGameFile]) {
        lock.withLock {
            started = true
            write(ReplayEncoder.start(header))
            for file in files { pending.append(.file(path: file.path, hash: file.hash, contents: file.contents)) }
            flush(tick: 0)
        }
    }

    public func record(command: MatchCommand, outcome: MatchSession.Outcome, beforeTick: Int) {
        lock.withLock {
            guard !failed, !finished else { return }
            switch command {
            case .input, .clientEvent:
                run.append(.command(command, seat: 0))
            case .join:
                var seat = 0
                if case .joined(let player) = outcome { seat = player }
                append(.command(command, seat: seat))
            case .leave, .resume, .stop:
                append(.command(command, seat: 0))
            }
        }
    }

    public func record(fact: MatchFact) {
        lock.withLock {
            guard !failed, !finished else { return }
            switch fact {
            case .timeLimit(let call, let error):
                append(.timeLimit(call: call, location: error.location, message: error.message, traceback: error.traceback))
            case .cpuBudgetEnded(let tick, let message):
                append(.cpuBudgetEnded(tick: tick, message: message))
            case .fileLoaded(let file):
                append(.file(path: file.path, hash: file.hash, contents: file.contents))
            }
        }
    }

    public func stepped(tick: Int, checkpoint: UInt64?) {
        lock.withLock {
            guard !failed, !finished else { return }
            closeRun()
            advance += 1
            if let checkpoint { append(.checkpoint(tick: tick, hash: checkpoint)) }
            ticksSinceFlush += 1
            if let every = settings.flushEveryTicks, ticksSinceFlush >= every {
                flush(tick: tick)
            } else if pendingEstimate >= settings.flushBytes {
                flush(tick: tick)
            }
        }
    }

    public func end(tick: Int, hash: UInt64?, outcome: String) {
        lock.withLock {
            guard started, !failed, !finished else { return }
            // Abandoned mid-call: the records of the call that never
            // returned are left out; the file ends at the last whole tick.
            if hash == nil { run.removeAll() } else { closeRun() }
            append(.end(tick: tick, hash: hash, outcome: outcome))
            flush(tick: tick)
            finished = true
            sink.close()
        }
    }

    // MARK: Writing (under the lock)

    private func append(_ record: ReplayRecord) {
        closeRun()
        if advance > 0 {
            pending.append(.advance(ticks: advance))
            advance = 0
        }
        pending.append(record)
        pendingEstimate += 4
        if case .file(_, _, let contents) = record { pendingEstimate += contents.count }
    }

    /// Sorts the run of inputs and client events by player (keeping each
    /// player's own order) and queues it.
    private func closeRun() {
        guard !run.isEmpty else { return }
        let sorted = run.enumerated().sorted { a, b in
            let (pa, pb) = (a.element.player, b.element.player)
            return pa != pb ? pa < pb : a.offset < b.offset
        }
        run.removeAll(keepingCapacity: true)
        if advance > 0 {
            pending.append(.advance(ticks: advance))
            advance = 0
        }
        pending.append(contentsOf: sorted.map(\.element))
        pendingEstimate += sorted.count * 3
    }

    private func flush(tick: Int) {
        closeRun()
        if advance > 0 {
            pending.append(.advance(ticks: advance))
            advance = 0
        }
        ticksSinceFlush = 0
        guard !pending.isEmpty, !failed else { return }
        let bytes = encoder.chunk(pending)
        pending.removeAll(keepingCapacity: true)
        pendingEstimate = 0
        write(bytes)
        if !failed { flushedTick = tick }
    }

    private func write(_ bytes: [UInt8]) {
        guard !failed else { return }
        do {
            try sink.write(bytes)
        } catch {
            failed = true
            pending.removeAll()
            run.removeAll()
            sink.close()
            stopped("recording stopped: \(error)")
        }
    }
}

extension ReplayRecord {
    fileprivate var player: Int {
        if case .command(let command, _) = self { return command.player ?? 0 }
        return 0
    }
}

/// Where a recorder's bytes go: a file, or memory in tests and benchmarks.
public protocol ReplaySink: AnyObject, Sendable {
    /// Appends `bytes` whole, or throws (and then nothing more is written).
    func write(_ bytes: [UInt8]) throws
    func close()
}

/// The bytes in memory.
public final class MemoryReplaySink: ReplaySink, @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [UInt8] = []
    public init() {}
    public var bytes: [UInt8] { lock.withLock { storage } }
    public func write(_ bytes: [UInt8]) throws { lock.withLock { storage.append(contentsOf: bytes) } }
    public func close() {}
}
