import Foundation
import Protocol

/// Plays a recording back into a fresh match, tick by tick, and checks it
/// against the recorded hashes (docs/replay.md).
///
/// When the game's files differ from the ones the recording names, the
/// recorded files (a recording carries them) are played beside in a second
/// match, in lockstep: the first tick at which the two states differ is the
/// divergence, and `Divergence.reference` holds the recorded rules' match
/// at that tick so the difference can be named field by field.
public final class MatchReplay {
    public let recording: Recording
    public var header: ReplayHeader { recording.header }
    public let game: GameDefinition
    /// The match played with `game`'s files.
    public let session: MatchSession
    /// The match played with the recording's own files, when they differ.
    public let reference: MatchSession?
    /// How `game`'s files differ from the recorded ones, one line each.
    public let fileDifferences: [String]
    private var decoder: ReplayDecoder
    private var records: [ReplayRecord] = []
    private var next = 0
    private var ticksLeft = 0
    private var referenceFolder: String?
    public private(set) var checkpointsChecked = 0
    /// The tick of the last recorded hash the replay matched.
    public private(set) var lastCheckpoint: Int?
    public private(set) var divergence: Divergence?
    /// The recording's last record, once read.
    public private(set) var recordedEnd: (tick: Int, hash: UInt64?, outcome: String)?
    /// True once every record was applied (or a divergence stopped the replay).
    public private(set) var isFinished = false
    /// The offset of a partial chunk the recording ends in (it was cut short).
    public var truncatedAt: Int? { decoder.truncatedAt }

    /// Where a replay first departed from the recording.
    public struct Divergence: CustomStringConvertible {
        public let tick: Int
        public let reason: String
        /// The recorded rules' match at `tick`, when the files differ.
        public let reference: Match?
        public var description: String { "tick \(tick): \(reason)" }
    }

    /// Reads the recording's header and files, and starts the match of
    /// `game` (and of the recorded files, if they differ).
    /// With `mutesReplayedLines`, the lines the match logs (`print`) are
    /// not passed on until `unmute()`: a match recovered from its log does
    /// not say again what it said before.
    public init(recording: Recording, game: GameDefinition, options: MatchOptions? = nil, mutesReplayedLines: Bool = false) throws {
        self.recording = recording
        decoder = try ReplayDecoder(bytes: recording.bytes)
        let header = recording.header
        self.game = game
        fileDifferences = recording.differences(folder: game.folder, source: game.source)
        let options = options ?? header.replayOptions
        muting = mutesReplayedLines ? ReplayingFlag() : nil
        session = try MatchSession(game: game, options: options, log: nil, checkpointEvery: header.checkpointEvery,
                                   keepsHistory: false, replaying: muting)
        if !fileDifferences.isEmpty, recording.files.contains(where: { $0.path == "game.lua" }),
           recording.files.allSatisfy(\.isKept) {
            let folder = try Self.materialize(recording.files, game: header.game)
            referenceFolder = folder
            let recordedGame = try GameDefinition.load(folder: folder)
            var quiet = options
            quiet.log = { _ in }
            reference = try MatchSession(game: recordedGame, options: quiet, checkpointEvery: header.checkpointEvery)
        } else {
            reference = nil
        }
    }

    deinit {
        if let referenceFolder {
            try? FileManager.default.removeItem(atPath: (referenceFolder as NSString).deletingLastPathComponent)
        }
    }

    public var tick: Int { session.tick }

    private let muting: ReplayingFlag?

    /// The match's lines are passed on again (see `mutesReplayedLines`).
    public func unmute() { muting?.end() }

    /// An encoder that extends the recording from where the replay has
    /// read it (`MatchRecorder(continuing:…)`).
    public var continuation: ReplayEncoder { ReplayEncoder(continuing: decoder.recordCoder) }

    /// Applies the recording up to and including its next tick; false when
    /// the recording is over or the replay diverged.
    @discardableResult
    public func stepOnce() throws(ReplayFileError) -> Bool {
        guard !isFinished else { return false }
        while true {
            if ticksLeft > 0 {
                ticksLeft -= 1
                step()
                return !isFinished
            }
            guard let record = try nextRecord() else {
                isFinished = true
                return false
            }
            apply(record)
            if isFinished { return false }
        }
    }

    /// Plays to the end, to tick `until`, or to the first divergence.
    public func run(until: Int? = nil) throws(ReplayFileError) {
        while !isFinished {
            if let until, session.tick >= until { return }
            try stepOnce()
        }
    }

    // MARK: Records

    private func nextRecord() throws(ReplayFileError) -> ReplayRecord? {
        while next >= records.count {
            guard let chunk = try decoder.nextRecords() else { return nil }
            records = chunk
            next = 0
        }
        defer { next += 1 }
        return records[next]
    }

    private func apply(_ record: ReplayRecord) {
        switch record {
        case .advance(let ticks):
            ticksLeft = ticks
        case .command(let command, let seat):
            let outcome = session.apply(command)
            reference?.apply(command)
            if case .join(let name, _) = command {
                switch outcome {
                case .joined(let player) where player != seat:
                    diverge(seat == 0 ? "\(name) joined as player \(player); the recording refused them"
                                      : "\(name) joined as player \(player); the recording seated them as player \(seat)")
                case .refused(let reason) where seat != 0:
                    diverge("\(name) was refused (\(reason)); the recording seated them as player \(seat)")
                default: break
                }
            }
        case .checkpoint(let tick, let hash):
            guard reference == nil else { return }   // lockstep compares every tick instead
            if tick != session.tick {
                diverge("the recording has a state hash for tick \(tick) here, but the replay is at tick \(session.tick)")
            } else if session.match.stateHash.value != hash {
                diverge("the state hash is \(StateHash.hex(session.match.stateHash.value)), the recording's is \(StateHash.hex(hash))"
                        + " (it matched at tick \(max(0, tick - header.checkpointEvery)))")
            } else {
                checkpointsChecked += 1
                lastCheckpoint = tick
            }
        case .timeLimit(let call, let location, let message, let traceback):
            let fact = MatchFact.timeLimit(call: call, error: ReplayError(location: location, message: message, traceback: traceback))
            session.match.force(fact)
            reference?.match.force(fact)
        case .cpuBudgetEnded(let tick, let message):
            session.match.force(.cpuBudgetEnded(tick: tick, message: message))
            reference?.match.force(.cpuBudgetEnded(tick: tick, message: message))
        case .file:
            break
        case .end(let tick, let hash, let outcome):
            recordedEnd = (tick, hash, outcome)
            if reference == nil, let hash, tick == session.tick, session.match.stateHash.value != hash {
                diverge("the final state hash is \(StateHash.hex(session.match.stateHash.value)), the recording's is \(StateHash.hex(hash))")
            }
            isFinished = true
        }
    }

    private func step() {
        session.step()
        guard let reference else { return }
        reference.step()
        if session.match.stateHash != reference.match.stateHash {
            diverge("the state differs from the recorded rules' state", reference: reference.match)
        }
    }

    private func diverge(_ reason: String, reference: Match? = nil) {
        guard divergence == nil else { return }
        divergence = Divergence(tick: session.tick, reason: reason, reference: reference)
        isFinished = true
    }

    // MARK: Files

    /// Writes the recorded files into a fresh temporary folder
    /// `<tmp>/tickwire-replay-…/<game>` and returns that game folder.
    static func materialize(_ files: [LoadedGameFile], game: String) throws -> String {
        let root = NSTemporaryDirectory() + "tickwire-replay-\(UUID().uuidString)"
        let name = game.isEmpty || game.contains("/") || game.hasPrefix(".") ? "game" : game
        for file in files {
            guard !file.path.contains(".."), !file.path.hasPrefix("/") else { continue }
            let url = URL(fileURLWithPath: root + "/" + name + "/" + file.path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(file.contents).write(to: url)
        }
        return root + "/" + name
    }
}

/// A replay file, read: its header and the files its rules were read from
/// (a first pass over every chunk, so damage anywhere is found before the
/// match starts).
public struct Recording: Sendable {
    public let bytes: [UInt8]
    public let header: ReplayHeader
    /// The files the recording's rules were read from, in the order read.
    public let files: [LoadedGameFile]
    /// The offset of a partial last chunk (the file was cut short), if any.
    public let truncatedAt: Int?
    /// The last tick the recording reaches: its end record's, or, in a file
    /// cut short, the ticks it advances (a seek's range).
    public let lastTick: Int

    public init(bytes: [UInt8]) throws(ReplayFileError) {
        var decoder = try ReplayDecoder(bytes: bytes)
        var files: [LoadedGameFile] = []
        var advanced = 0, ended: Int?
        while let records = try decoder.nextRecords() {
            for record in records {
                switch record {
                case .file(let path, let hash, let contents) where !files.contains(where: { $0.path == path }):
                    files.append(LoadedGameFile(path: path, hash: hash, contents: contents))
                case .advance(let ticks): advanced += ticks
                case .end(let tick, _, _): ended = tick
                default: break
                }
            }
        }
        self.bytes = bytes
        header = decoder.header
        self.files = files
        truncatedAt = decoder.truncatedAt
        lastTick = ended ?? advanced
    }

    /// How the game in `folder` differs from the recorded files, one line
    /// each (`source`: the `game.lua` already read, if any).
    public func differences(folder: String, source: String? = nil) -> [String] {
        files.compactMap { file in
            let current: [UInt8]?
            if file.path == "game.lua", let source {
                current = Array(source.utf8)
            } else {
                current = FileManager.default.contents(atPath: folder + "/" + file.path).map { [UInt8]($0) }
            }
            guard let current else { return "\(folder)/\(file.path) is missing (the recorded rules read it)" }
            let same = file.isKept ? current == file.contents : LoadedGameFile.hash(of: current) == file.hash
            return same ? nil : "\(folder)/\(file.path) differs from the recorded one"
        }
    }
}

extension StateHash {
    /// 16 hex digits, as `bots` prints hashes.
    public static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
