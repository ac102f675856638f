import Bots
import Engine
import Protocol
import TestSupport

/// games/arena played headless by its own bots. Player 1's connection
/// resumes its seat once the ships have started fighting and sees the
/// next 40 ticks as the server sends them (`Match.welcome`, `Match.frame`):
/// a full snapshot, then deltas, with the inputs the server has taken
/// counted in `lastInput`; bullets come and go, ships are hit and killed.
/// Along the way the client misses three ticks (the next delta's baseline
/// is four ticks back and it brings the missed events), gets a full
/// snapshot mid-game, and is sent a delta from a tick it does not hold.
enum ArenaSession {
    static let seed: Int64 = 0x7E57_0005
    static let players = 4
    static let viewer = 1
    /// Ticks played before the viewer's connection resumes: with this seed
    /// the first shots fly from tick 46, the first kill is at 76.
    static let warmUp = 60
    static let ticks = 40
    /// Ticks the viewer does not receive (its socket was full); 71 has hits.
    static let missed: Set<Int> = [70, 71, 72]
    /// A full snapshot instead of a delta.
    static let fullAt = 85
    /// A delta from the tick before the one the viewer holds comes first.
    static let staleAt = 91

    static func record() throws -> JSON {
        let game = try GameDefinition.load(folder: gamesFolder + "/arena")
        let match = try Match(game: game, options: MatchOptions(seed: seed))
        let brain = try BotBrain(game: game, seed: SplitMix64.derive(seed, 1))
        var seated: [Int] = []
        for p in 1...players {
            guard case .joined(let id) = match.join(name: "bot\(p)") else { preconditionFailure("arena refused bot\(p)") }
            seated.append(id)
            brain.add(playerID: id, name: "bot\(p)")
        }
        precondition(seated.contains(viewer))

        // The bots see every tick, as in a headless run.
        let bots = ClientMirror(schema: game.schema)
        var sequences: [Int: UInt64] = [:]
        var sentInputs: [(UInt64, [Int64])] = []
        var states: [Int: Snapshot] = [:]
        var session: SessionRecorder?
        for _ in 0..<warmUp + ticks {
            if match.tick == warmUp {
                // The viewer's new connection: a welcome, inputs from 1 again.
                match.restartInputs(of: viewer)
                sequences[viewer] = 0
                let welcome = Welcome(playerID: viewer, matchID: "arena-7e57", tickRate: game.tickRate, tick: match.tick + 1,
                                      resumeToken: "r3sume.T0ken_arena", schema: game.schema)
                session = SessionRecorder(
                    name: "arena: \(players) bots; player \(viewer) resumes its seat after tick \(warmUp) and sees \(ticks) ticks",
                    welcome: welcome, bytes: match.welcome(playerID: viewer, matchID: welcome.matchID, resumeToken: welcome.resumeToken))
            }
            brain.observe(try bots.apply(match.frame(baseline: bots.state?.tick, prior: bots.previous?.tick, audience: .everyone)))
            for id in seated {
                guard let input = brain.think(playerID: id).input else { continue }
                sequences[id, default: 0] += 1
                match.submit(input: input, from: id, sequence: UInt32(sequences[id]!))
                if id == viewer, session != nil { sentInputs.append((sequences[id]!, input)) }
            }
            match.step()
            guard let state = match.snapshots.latest else { preconditionFailure("no snapshot after a tick") }
            states[state.tick] = state
            let tick = state.tick
            guard session != nil, !missed.contains(tick) else { continue }

            let held = session!.held?.tick
            if tick == staleAt, let held {
                session!.refused(match.frame(baseline: held - 1, audience: .player(viewer)))
            }
            let baseline = tick == fullAt ? nil : held
            let bytes = match.frame(baseline: baseline, prior: session!.previous?.tick, audience: .player(viewer))
            // Events of every tick since the baseline, as the server sends
            // them to a client that skipped ticks; only this tick's otherwise.
            let since = baseline.map { $0 + 1 } ?? tick
            let events = (since...tick).flatMap { t in
                states[t]!.events.filter { $0.to == 0 || $0.to == viewer }.map { (snapshot: states[t]!, event: $0) }
            }
            session!.snapshot(bytes, state: state, lastInput: UInt64(match.lastProcessedInput(of: viewer)), events: events)
        }
        precondition(match.status.isRunning, "the arena match ended early")
        guard var session else { preconditionFailure("the viewer never connected") }

        // The inputs the viewer's bot sent first, then the extremes of `turn`.
        for (sequence, values) in sentInputs.prefix(3) { session.input(sequence: sequence, values: values) }
        let input = game.schema.input.map(\.name)
        precondition(input == ["fire", "thrust", "turn"], "arena's input changed: \(input)")
        for (sequence, values): (UInt64, [Int64]) in [(41, [1, 1, -1]), (127, [0, 1, -128]), (128, [1, 0, 127]), (300, [0, 0, 0])] {
            session.input(sequence: sequence, values: values)
        }
        for tick in [warmUp + 1, warmUp + ticks, 300] { session.ack(tick) }
        return session.json
    }
}
