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
                let report: HeadlessMatchReport
                if realtime {
                    var clock = SystemClock()
                    report = match.play(index: index, clock: &clock, onTick: { _ in progress?.tick() })
                } else {
                    var clock = VirtualClock()
                    report = match.play(index: index, clock: &clock, onTick: { _ in progress?.tick() })
                }
                results.withLock { $0[index] = report }
                progress?.finished(report)
            }
        }
        return results.withLock { $0.compactMap { $0 } }
    }
}

/// Hears of a run's progress from its worker threads.
public protocol RunProgress: Sendable {
    func tick()
    func finished(_ report: HeadlessMatchReport)
}
