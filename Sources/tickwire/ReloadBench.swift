import Bots
import Engine
import Foundation

/// `tickwire bench --reload`: how long hot reload keeps a running match
/// waiting, by the length of its history.
///
/// One bots match is played once (its commands logged in memory). For each
/// history length, a session that kept its history is brought to that tick
/// and rebuilt on the same rules (`MatchSession.rebuilt`, what a reload
/// does), `rounds` times; the median wall time is reported, with what
/// loading and checking the rules costs (`GameDefinition.load` and a
/// `game.init`), the rest of edit-to-effect.
struct ReloadBench {
    let game: GameDefinition
    let options: MatchOptions
    let players: Int
    let ticks: Int
    let rounds: Int

    func run() throws {
        let log = CommandLog()
        var clock = VirtualClock()
        let played = HeadlessMatch(game: game, options: options, players: players, maxTicks: ticks)
            .play(index: 0, clock: &clock, log: log)
        let total = played.ticks
        let minute = 60 * game.tickRate
        let lengths = Array(Set([minute, 5 * minute, 10 * minute, total].filter { $0 <= total && $0 > 0 })).sorted()
        print("hot reload, \(game.name) with \(players) bots, \(rounds) rounds (median wall time):")

        var loads: [Double] = []
        for _ in 0..<rounds {
            let t0 = ContinuousClock.now
            let loaded = try GameDefinition.load(folder: game.folder, limits: options.limits)
            _ = try Match(game: loaded, options: options)
            loads.append(Self.seconds(ContinuousClock.now - t0))
        }
        print("  load and check the rules: \(Self.millis(BenchCommand.median(loads))) ms")
        for length in lengths {
            let session = try MatchSession(game: game, options: options, keepsHistory: true)
            for (t, tick) in log.commands.prefix(length + 1).enumerated() {
                for command in tick { session.apply(command) }
                if t < length { session.step() }
            }
            var times: [Double] = []
            var same = true
            for _ in 0..<rounds {
                let t0 = ContinuousClock.now
                let rebuilt = try session.rebuilt(on: game, log: nil, deadline: .now + .seconds(3600))
                times.append(Self.seconds(ContinuousClock.now - t0))
                same = same && rebuilt.match.stateHash == session.match.stateHash
            }
            let median = BenchCommand.median(times)
            print("  \(String(format: "%6.1f", Double(length) / Double(game.tickRate) / 60)) min of history (\(length) ticks): "
                  + "rebuild \(Self.millis(median)) ms, \(BenchCommand.rate(length, median)) ticks/s; "
                  + "state \(same ? "identical" : "DIFFERENT")")
            if !same { throw BenchError("a rebuild on the same rules reached another state") }
        }
    }

    private static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    private static func millis(_ s: Double) -> String { String(format: "%.1f", s * 1000) }
}
