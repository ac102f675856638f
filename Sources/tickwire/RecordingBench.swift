import Bots
import Engine
import Foundation

/// `tickwire bench --recording`: what recording costs a match, how big a
/// recording is, and how fast a replay plays it.
///
/// One bots match is played once (its commands logged in memory); then the
/// same commands are played through a `MatchSession` with and without a
/// `MatchRecorder` writing a real file, alternating for `rounds` rounds, so
/// the ratio of tick times comes from one run on the same machine state.
struct RecordingBench {
    let game: GameDefinition
    let options: MatchOptions
    let players: Int
    let ticks: Int
    let rounds: Int

    func run() throws {
        let log = CommandLog()
        var clock = VirtualClock()
        let cpu0 = threadCPUTime()
        let played = HeadlessMatch(game: game, options: options, players: players, maxTicks: ticks)
            .play(index: 0, clock: &clock, log: log)
        let playSeconds = threadCPUTime() - cpu0
        let played1 = played.ticks
        let folder = try RecordingFolder(path: NSTemporaryDirectory() + "tickwire-bench-recording-\(ProcessInfo.processInfo.processIdentifier)")
        defer { try? FileManager.default.removeItem(atPath: folder.path) }

        var plain: [Double] = []
        var recorded: [Double] = []
        var plainAll: [Double] = []
        var recordedAll: [Double] = []
        var file = ""
        var bytes = 0
        for round in 0..<rounds {
            let (p, pAll) = try play(log, recorder: nil)
            plain.append(p)
            plainAll.append(pAll)
            let sink = try folder.create(named: "round\(round)")
            let recorder = MatchRecorder(game: game, options: options,
                                         settings: .init(matchID: "bench", origin: "bench", flushEveryTicks: game.tickRate),
                                         sink: sink)
            let (r, rAll) = try play(log, recorder: recorder)
            recorded.append(r)
            recordedAll.append(rAll)
            file = sink.path
            bytes = (try? FileManager.default.attributesOfItem(atPath: sink.path)[.size] as? Int) ?? 0
        }
        let recording = try Recording(bytes: [UInt8](Data(contentsOf: URL(fileURLWithPath: file))))
        var replaySeconds: [Double] = []
        var matched = true
        for _ in 0..<rounds {
            let replay = try MatchReplay(recording: recording, game: game)
            let t0 = threadCPUTime()
            try replay.run()
            replaySeconds.append(threadCPUTime() - t0)
            matched = matched && replay.divergence == nil && replay.recordedEnd != nil
        }
        let minutes = Double(played1) / Double(game.tickRate) / 60
        let ratios = zip(recorded, plain).map { $0 / $1 }
        let median = BenchCommand.median
        print("recording, \(game.name) with \(players) bots, \(played1) ticks (\(String(format: "%.1f", minutes * 60)) s of play), \(rounds) rounds:")
        print("  tick without recording:  \(BenchCommand.micros(median(plain) / Double(played1))) µs")
        print("  tick with recording:     \(BenchCommand.micros(median(recorded) / Double(played1))) µs "
              + "(\(String(format: "%.3f", median(ratios)))× median of rounds: \(ratios.map { String(format: "%.3f", $0) }.joined(separator: ", ")))")
        let allRatios = zip(recordedAll, plainAll).map { $0 / $1 }
        print("  CPU of every thread (the writer's encoding and writes included): "
              + "\(String(format: "%.3f", median(allRatios)))× median of rounds")
        print("  file: \(bytes) bytes, \(Int((Double(bytes) / minutes / 1024).rounded())) KiB per minute of play "
              + "(game files included once: \(recording.files.reduce(0) { $0 + $1.contents.count }) bytes)")
        print("  replay: \(BenchCommand.rate(played1, median(replaySeconds))) ticks/s on one core, "
              + "\(String(format: "%.1f", playSeconds / median(replaySeconds)))× the original bots run "
              + "(\(BenchCommand.rate(played1, playSeconds)) ticks/s with bots); hashes \(matched ? "match" : "DO NOT MATCH")")
        if !matched { throw BenchError("the replay diverged from its recording") }
    }

    /// CPU seconds of playing the logged commands through a session: of
    /// the match's thread, and of the whole process (the recorder's writer
    /// included; `end` waits for it).
    private func play(_ log: CommandLog, recorder: MatchRecorder?) throws -> (thread: Double, all: Double) {
        let session = try MatchSession(game: game, options: options, log: recorder)
        let commands = log.commands
        let t0 = threadCPUTime()
        let p0 = Self.processCPUTime()
        for (t, tick) in commands.enumerated() {
            for command in tick { session.apply(command) }
            if t < commands.count - 1 { session.step() }
        }
        let thread = threadCPUTime() - t0
        session.end()
        return (thread, Self.processCPUTime() - p0)
    }

    static func processCPUTime() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
