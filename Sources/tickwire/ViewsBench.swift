import Bots
import Engine
import Foundation

/// `tickwire bench --views`: what per-player views cost and save.
///
/// One bots match is played (its commands logged). Its commands are then
/// replayed, alternating for `rounds` rounds, with the game's visibility
/// and with every player seeing everything (`seeingEverything`), and, as
/// the reference, an arena match of 16 bots; each tick, every player's frame
/// is built against the frame before it, as a server does. Reported: bytes
/// per player per second, CPU per player-tick (the tick itself, and the
/// frames: views and encodes), encodes and distinct views per tick.
struct ViewsBench {
    let game: GameDefinition
    let options: MatchOptions
    let players: Int
    let ticks: Int
    let rounds: Int
    let reference: GameDefinition
    let referenceOptions: MatchOptions

    struct Figures {
        var stepSeconds: [Double] = []
        var frameSeconds: [Double] = []
        var bytes = 0
        var encodes = 0
        var views = 0
        var ticks = 0
        var players = 0
    }

    func run() throws {
        let played = try log(game, options, players)
        let arena = try log(reference, referenceOptions, 16)
        print("views, \(game.name) with \(players) bots, \(played.inputs.count) ticks at \(game.tickRate) Hz, \(rounds) rounds "
              + "(medians; CPU time of one thread):")
        var hidden = Figures(), everything = Figures(), base = Figures()
        let open = game.seeingEverything()
        for _ in 0..<rounds {
            try replay(played, game, options, into: &hidden)
            try replay(played, open, options, into: &everything)
            try replay(arena, reference, referenceOptions, into: &base)
        }
        func row(_ label: String, _ f: Figures, rate: Int) -> (bytes: Double, cpu: Double) {
            let perPlayerTick = Double(f.ticks * f.players)
            let step = BenchCommand.median(f.stepSeconds) / perPlayerTick * 1e6
            let frames = BenchCommand.median(f.frameSeconds) / perPlayerTick * 1e6
            let bytes = Double(f.bytes) / perPlayerTick * Double(rate)
            print("  \(label.padding(toLength: 34, withPad: " ", startingAt: 0))"
                  + "\(String(format: "%8.0f", bytes)) B/player/s   "
                  + "\(String(format: "%6.1f", step + frames)) µs/player-tick (tick \(String(format: "%.1f", step)), "
                  + "frames \(String(format: "%.1f", frames)))   "
                  + "\(String(format: "%.1f", Double(f.encodes) / Double(f.ticks))) encodes, "
                  + "\(String(format: "%.1f", Double(f.views) / Double(f.ticks))) views per tick")
            return (bytes, step + frames)
        }
        let h = row("\(game.name), as declared", hidden, rate: game.tickRate)
        let e = row("\(game.name), everyone sees all", everything, rate: game.tickRate)
        let a = row("\(reference.name), 16 bots (all visible)", base, rate: reference.tickRate)
        print("  bytes per player, declared / all visible: \(String(format: "%.3f", h.bytes / max(e.bytes, 1))) "
              + "(1/\(String(format: "%.1f", e.bytes / max(h.bytes, 1))))")
        print("  CPU per player-tick, declared / \(reference.name)'s: \(String(format: "%.2f", h.cpu / max(a.cpu, 1e-9)))×; "
              + "all visible / \(reference.name)'s: \(String(format: "%.2f", e.cpu / max(a.cpu, 1e-9)))×")
    }

    private func log(_ game: GameDefinition, _ options: MatchOptions, _ players: Int) throws -> CommandLog {
        let log = CommandLog()
        var clock = VirtualClock()
        let played = HeadlessMatch(game: game, options: options, players: players, maxTicks: ticks).play(index: 0, clock: &clock, log: log)
        if played.scriptFailures > 0 { throw BenchError("\(game.name) failed while its bots played: \(played.firstScriptFailure ?? "")") }
        return log
    }

    /// Replays `log`, building every seated player's frame each tick.
    private func replay(_ log: CommandLog, _ game: GameDefinition, _ options: MatchOptions, into figures: inout Figures) throws {
        let session = try MatchSession(game: game, options: options)
        let match = session.match
        var step = 0.0, frames = 0.0
        var bytes = 0, encodes = 0, views = 0, ticks = 0, seatsSeen = 0
        var baselines: [Int: Int] = [:], priors: [Int: Int] = [:]
        for (t, commands) in log.commands.enumerated() {
            for command in commands { session.apply(command) }
            if t == log.commands.count - 1 { break }
            let t0 = threadCPUTime()
            session.step()
            let t1 = threadCPUTime()
            let seated = match.players.map(\.id)
            for id in seated {
                let frame = match.frame(baseline: baselines[id], prior: priors[id], audience: .player(id))
                bytes += frame.count
                priors[id] = baselines[id]
                baselines[id] = match.tick
            }
            let t2 = threadCPUTime()
            step += t1 - t0
            frames += t2 - t1
            encodes += match.stateEncodesThisTick
            views += match.viewsThisTick
            ticks += 1
            seatsSeen = max(seatsSeen, seated.count)
        }
        figures.stepSeconds.append(step)
        figures.frameSeconds.append(frames)
        if figures.ticks == 0 {
            (figures.bytes, figures.encodes, figures.views, figures.ticks, figures.players) = (bytes, encodes, views, ticks, seatsSeen)
        }
    }
}
