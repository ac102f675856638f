import Dispatch
import Engine
import Foundation
import Synchronization

/// Many headless matches of one game, played at once on every core.
///
/// Match `i` gets seed `SplitMix64.derive(seed, i)`, so one seed names the
/// whole run and any match can be replayed alone.
public struct HeadlessRun: Sendable {
    public let game: GameDefinition
    public var matches: Int
    public var players: Int
    public var ticks: Int
    public var seed: Int64
    /// Runs at the game's tick rate on the system clock instead of full speed.
    public var realtime = false
    public var options: MatchOptions
    public var workers = ProcessInfo.processInfo.activeProcessorCount
    /// Where matches are recorded, if anywhere.
    public var recording: Recording?

    /// Recording of a run's matches: one replay file per match in `folder`;
    /// with `failuresOnly`, only a match with a script failure or a failed
    /// outcome keeps its file (what a CI keeps).
    public struct Recording: Sendable {
        public let folder: RecordingFolder
        public let failuresOnly: Bool

        public init(folder: RecordingFolder, failuresOnly: Bool) {
            self.folder = folder
            self.failuresOnly = failuresOnly
        }
    }

    public init(game: GameDefinition, matches: Int, players: Int, ticks: Int, seed: Int64, options: MatchOptions = MatchOptions()) {
        self.game = game
        self.matches = matches
        self.players = players
        self.ticks = ticks
        self.seed = seed
        self.options = options
    }

    public func seed(ofMatch index: Int) -> Int64 { SplitMix64.derive(seed, index) }

    /// Plays every match; `progress` hears of each tick and each finished match
    /// (from worker threads). Reports come back in match order.
    public func run(progress: RunProgress? = nil) -> [HeadlessMatchReport] {
        let results = Mutex<[HeadlessMatchReport?]>(Array(repeating: nil, count: matches))
        let next = Atomic<Int>(0)
        let workerCount = max(1, min(workers, matches))
        DispatchQueue.concurrentPerform(iterations: workerCount) { _ in
            while true {
                let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard index < matches else { return }
                var options = self.options
                options.seed = seed(ofMatch: index)
                let baseLog = self.options.log
                options.log = { baseLog("match \(index + 1): \($0)") }
                let match = HeadlessMatch(game: game, options: options, players: players, maxTicks: ticks)
                let (recorder, file) = recorder(forMatch: index, options: options)
                var report: HeadlessMatchReport
                if realtime {
                    var clock = SystemClock()
                    report = match.play(index: index, clock: &clock, log: recorder, onTick: { _ in progress?.tick() })
                } else {
                    var clock = VirtualClock()
                    report = match.play(index: index, clock: &clock, log: recorder, onTick: { _ in progress?.tick() })
                }
                if let file, let recording {
                    if recording.failuresOnly, !report.failed, report.scriptFailures == 0 {
                        recording.folder.delete(named: file.name)
                    } else {
                        report.recording = file.path
                    }
                }
                results.withLock { $0[index] = report }
                progress?.finished(report)
            }
        }
        return results.withLock { $0.compactMap { $0 } }
    }
}

extension HeadlessRun {
    /// A recorder for match `index` into its own file, or nothing when the
    /// run does not record (or the file cannot be made: then the match plays
    /// on unrecorded, and the log says why).
    func recorder(forMatch index: Int, options: MatchOptions) -> (MatchRecorder?, FileReplaySink?) {
        guard let recording else { return (nil, nil) }
        let name = "\(URL(fileURLWithPath: game.folder).lastPathComponent)-seed\(seed)-match\(index + 1)"
        do {
            let file = try recording.folder.create(named: name)
            let log = options.log
            let recorder = MatchRecorder(game: game, options: options,
                                         settings: .init(matchID: "match\(index + 1)", origin: "bots", flushEveryTicks: nil),
                                         sink: file, stopped: { log($0) })
            return (recorder, file)
        } catch {
            options.log("not recorded: \(error)")
            return (nil, nil)
        }
    }
}

/// Hears of a run's progress from its worker threads.
public protocol RunProgress: Sendable {
    func tick()
    func finished(_ report: HeadlessMatchReport)
}
