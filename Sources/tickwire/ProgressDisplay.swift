import Bots
import Foundation
import Synchronization

/// Writes progress to standard error: a bar redrawn in place on a terminal,
/// one plain line per finished match otherwise (logs, CI).
final class ProgressDisplay: RunProgress, Sendable {
    private let totalTicks: Int
    private let matches: Int
    private let ticks = Atomic<Int>(0)
    private let done = Atomic<Int>(0)
    private let stopped = Atomic<Bool>(false)
    private let isTerminal = isatty(STDERR_FILENO) != 0
    private let started = ContinuousClock.now

    init(totalTicks: Int, matches: Int) {
        self.totalTicks = max(1, totalTicks)
        self.matches = matches
        if isTerminal {
            let thread = Thread { [self] in
                while !stopped.load(ordering: .relaxed) {
                    draw()
                    Thread.sleep(forTimeInterval: 0.1)
                }
            }
            thread.start()
        }
    }

    func tick() { ticks.add(1, ordering: .relaxed) }

    func finished(_ report: HeadlessMatchReport) {
        let count = done.add(1, ordering: .relaxed).newValue
        if !isTerminal {
            StandardError.write("match \(report.index + 1) done (\(count)/\(matches)): \(report.ticks) ticks, \(ReportTable.outcome(report))")
        }
    }

    func stop() {
        stopped.store(true, ordering: .relaxed)
        if isTerminal { StandardError.writeRaw("\r\u{1B}[K") }
    }

    private func draw() {
        let t = ticks.load(ordering: .relaxed)
        // Matches may end before their last tick: count a finished match as whole.
        let finished = Double(done.load(ordering: .relaxed)) / Double(max(1, matches))
        let fraction = min(1, max(Double(t) / Double(totalTicks), finished))
        let width = 30
        let filled = Int(fraction * Double(width))
        let seconds = (ContinuousClock.now - started).seconds
        let rate = seconds > 0 ? Int(Double(t) / seconds) : 0
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        StandardError.writeRaw("\r\(bar) \(done.load(ordering: .relaxed))/\(matches) matches, \(t) ticks, \(rate) ticks/s\u{1B}[K")
    }
}

/// Standard error, one whole line per write so threads do not interleave.
enum StandardError {
    static func write(_ line: String) { writeRaw(line + "\n") }
    static func writeRaw(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }
}
