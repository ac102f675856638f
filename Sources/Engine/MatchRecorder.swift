import Foundation
import Protocol
import Synchronization

/// Records one match into a replay file as it plays (docs/replay.md).
///
/// The match's thread only appends records to a list; every
/// `flushEveryTicks` ticks (a second of play by default) and at the end the
/// list is handed to a writer queue that encodes it as one checksummed
/// chunk and writes it, so a crash or SIGKILL leaves a file that replays up
/// to its last flush, and the tick pays for neither the encoding nor the
/// system call. A write that fails (a full disk, a bounded folder that
/// refuses the bytes) stops the recording, with one call to `stopped`, and
/// never the match.
///
/// Inputs and client events of different players between two other records
/// do not affect each other (each player has their own queue), so the
/// writer sorts them by player: the player gaps then cost a bit.
///
/// Confined to the match's thread, except `end` of an abandoned match
/// (hash nil), which comes from the thread that gave the match up: it
/// touches only the writer and the `closed` flag, and records of the tick
/// that never finished are left out.
public final class MatchRecorder: MatchLog, @unchecked Sendable {
    public struct Settings: Sendable {
        public var matchID: String
        /// What records: "bots", "serve".
        public var origin: String
        /// Ticks between flushes; nil: only when `flushRecords` are waiting and at the end.
        public var flushEveryTicks: Int?
        public var flushRecords = 16_384
        public var checkpointEvery: Int

        public init(matchID: String, origin: String, flushEveryTicks: Int?, checkpointEvery: Int = 30) {
            self.matchID = matchID
            self.origin = origin
            self.flushEveryTicks = flushEveryTicks
            self.checkpointEvery = checkpointEvery
        }
    }

    private let closed = Atomic<Bool>(false)
    private let settings: Settings
    private let header: ReplayHeader
    private let writer: Writer
    private var pending: [ReplayRecord] = []
    private var advance = 0
    private var ticksSinceFlush = 0
    private var started = false

    /// Records a match of `game` run with `options` into `sink`; `stopped`
    /// hears once why recording stopped early.
    public init(game: GameDefinition, options: MatchOptions, settings: Settings, sink: any ReplaySink,
                stopped: @escaping @Sendable (String) -> Void = { _ in }) {
        self.settings = settings
        header = ReplayHeader(game: game, options: options, matchID: settings.matchID, origin: settings.origin,
                              checkpointEvery: settings.checkpointEvery)
        writer = Writer(sink: sink, encoder: ReplayEncoder(inputWidth: game.schema.input.count), stopped: stopped)
        pending.reserveCapacity(256)
    }

    /// Records the rest of a match whose log so far was read to its end
    /// with `encoder`'s state (`MatchRecovery`): no header and no files are
    /// written, only the chunks that extend the log. Attach it with
    /// `MatchSession.continueLog(with:)`.
    public init(continuing encoder: ReplayEncoder, game: GameDefinition, options: MatchOptions, settings: Settings,
                sink: any ReplaySink, stopped: @escaping @Sendable (String) -> Void = { _ in }) {
        self.settings = settings
        header = ReplayHeader(game: game, options: options, matchID: settings.matchID, origin: settings.origin,
                              checkpointEvery: settings.checkpointEvery)
        writer = Writer(sink: sink, encoder: encoder, stopped: stopped)
        started = true
        pending.reserveCapacity(256)
    }

    public func begin(match: Match, files: [LoadedGameFile]) {
        started = true
        let header = ReplayEncoder.start(header)
        writer.queue.async { [writer] in writer.write(header) }
        for file in files { pending.append(.file(path: file.path, hash: file.hash, contents: file.contents)) }
        flush()
    }

    public func record(command: MatchCommand, outcome: MatchSession.Outcome, beforeTick: Int) {
        var seat = 0
        if case .joined(let player) = outcome { seat = player }
        append(.command(command, seat: seat))
    }

    public func record(fact: MatchFact) {
        let record: ReplayRecord
        switch fact {
        case .timeLimit(let call, let error):
            record = .timeLimit(call: call, location: error.location, message: error.message, traceback: error.traceback)
        case .cpuBudgetEnded(let tick, let message):
            record = .cpuBudgetEnded(tick: tick, message: message)
        case .fileLoaded(let file):
            record = .file(path: file.path, hash: file.hash, contents: file.contents)
        }
        append(record)
    }

    public func stepped(tick: Int, checkpoint: UInt64?) {
        advance += 1
        if let checkpoint { append(.checkpoint(tick: tick, hash: checkpoint)) }
        ticksSinceFlush += 1
        if let every = settings.flushEveryTicks, ticksSinceFlush >= every {
            flush()
        } else if pending.count >= settings.flushRecords {
            flush()
        }
    }

    public func end(tick: Int, hash: UInt64?, outcome: String) {
        guard started, !closed.load(ordering: .acquiring) else { return }
        if hash == nil {
            // Abandoned: the match's thread may still be inside a call, so
            // only the writer is touched; what waits unflushed is left out
            // and the file ends at the last flushed tick.
            closed.store(true, ordering: .releasing)
            let end = ReplayRecord.end(tick: tick, hash: nil, outcome: outcome)
            writer.queue.sync { writer.encode([end]); writer.close() }
            return
        }
        append(.end(tick: tick, hash: hash, outcome: outcome))
        flush()
        closed.store(true, ordering: .releasing)
        writer.queue.sync { writer.close() }
    }

    /// Hands the records waiting to the writer and waits until it has
    /// written them: the sink holds the match through its last tick.
    public func flushNow() {
        guard started, !closed.load(ordering: .acquiring) else { return }
        flush()
        writer.queue.sync {}
    }

    private func append(_ record: ReplayRecord) {
        if advance > 0 {
            pending.append(.advance(ticks: advance))
            advance = 0
        }
        pending.append(record)
    }

    /// Hands what waits to the writer.
    private func flush() {
        if advance > 0 {
            pending.append(.advance(ticks: advance))
            advance = 0
        }
        ticksSinceFlush = 0
        guard !pending.isEmpty, !closed.load(ordering: .acquiring) else { return pending.removeAll(keepingCapacity: true) }
        let records = pending
        pending.removeAll(keepingCapacity: true)
        writer.queue.async { [writer] in writer.encode(records) }
    }

    /// The writing side, confined to `queue`.
    private final class Writer: @unchecked Sendable {
        let queue = DispatchQueue(label: "tickwire.recorder", qos: .utility)
        private let sink: any ReplaySink
        private var encoder: ReplayEncoder
        private let stopped: @Sendable (String) -> Void
        private var failed = false

        init(sink: any ReplaySink, encoder: ReplayEncoder, stopped: @escaping @Sendable (String) -> Void) {
            self.sink = sink
            self.encoder = encoder
            self.stopped = stopped
        }

        func encode(_ records: [ReplayRecord]) {
            guard !failed, !isClosed else { return }
            write(encoder.chunk(Self.sortingRuns(records)))
        }

        func write(_ bytes: [UInt8]) {
            guard !failed, !isClosed else { return }
            do {
                try sink.write(bytes)
            } catch {
                failed = true
                sink.close()
                stopped("recording stopped: \(error)")
            }
        }

        private var isClosed = false

        func close() {
            isClosed = true
            sink.close()
        }

        /// Whether every run of inputs and client events is already in player
        /// order (the usual case: players are served in id order).
        static func isSortedByRuns(_ records: [ReplayRecord]) -> Bool {
            var previous = -1
            for record in records {
                guard case .command(let command, _) = record, command.isQueued else {
                    previous = -1
                    continue
                }
                let player = command.player ?? 0
                if player < previous { return false }
                previous = player
            }
            return true
        }

        /// Sorts each run of inputs and client events by player, keeping
        /// each player's own order.
        static func sortingRuns(_ records: [ReplayRecord]) -> [ReplayRecord] {
            if isSortedByRuns(records) { return records }
            var out: [ReplayRecord] = []
            out.reserveCapacity(records.count)
            var run: [ReplayRecord] = []
            func closeRun() {
                guard !run.isEmpty else { return }
                if zip(run, run.dropFirst()).allSatisfy({ $0.player <= $1.player }) {
                    out.append(contentsOf: run)
                } else {
                    out.append(contentsOf: run.enumerated().sorted { a, b in
                        let (pa, pb) = (a.element.player, b.element.player)
                        return pa != pb ? pa < pb : a.offset < b.offset
                    }.map(\.element))
                }
                run.removeAll(keepingCapacity: true)
            }
            for record in records {
                if case .command(let command, _) = record, command.isQueued {
                    run.append(record)
                } else {
                    closeRun()
                    out.append(record)
                }
            }
            closeRun()
            return out
        }
    }
}

extension MatchCommand {
    /// Inputs and client events only queue for the next tick, per player.
    fileprivate var isQueued: Bool {
        switch self {
        case .input, .clientEvent: true
        default: false
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
