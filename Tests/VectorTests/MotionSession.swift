@testable import Engine
import Protocol
import TestSupport

/// Things in motion, seen by a spectator, so that changed values go every
/// way protocol 2 codes them: `vec3` positions and `quat` rotations moving
/// and spinning steadily (from the prediction), falling under gravity (a
/// residual that grows), a body that tumbles until its rotation's largest
/// component changes (sent whole), a teleport, numbers that drift and wrap,
/// bodies that appear (no prior to predict from) and vanish. The spectator
/// misses ticks twice (the prediction scales over the gaps) and gets a full
/// snapshot once (the next delta has no prior).
enum MotionSession {
    static let seed: Int64 = 0x7E57_0015
    static let ticks = 48
    static let missed: Set<Int> = [14, 15, 31]
    static let fullAt = 22

    static let game = """
        local game = { name = "motion", tick_rate = 60, max_players = 1 }
        game.state = {
          match = { clock = "u16" },
          body = {
            p = { "vec3", { -64, 64, 1/512 }, { -64, 64, 1/512 }, { 0, 32, 1/512 } },
            q = { "quat", 9 },
            heading = { "angle", 10 },
            fuel = { "fixed", 0, 100, 0.125 },
            hits = "u8",
            awake = "bool",
          },
        }
        local bodies = {}
        local function axis(x, y, z, angle)
          local s = math.sin(angle / 2)
          return { x = x * s, y = y * s, z = z * s, w = math.cos(angle / 2) }
        end
        local function add(match, i)
          local b = match:spawn("body", { p = { x = i * 3 - 12, y = i - 4, z = 4 + i }, q = axis(0, 0, 1, i / 3),
                                          heading = i / 2, fuel = 50 + i, hits = 0, awake = true })
          bodies[b.id] = { e = b, v = { x = 0.5 + i / 10, y = -0.25 * i, z = 0 }, spin = 0.05 * (i + 1), angle = i / 3, i = i }
        end
        function game.init(match)
          for i = 0, 7 do add(match, i) end
        end
        function game.tick(match)
          match.clock = match.tick * 3
          for id, b in pairs(bodies) do
            local p = b.e.p
            if b.i % 3 == 1 then b.v.z = b.v.z - 9.8 / 60 end         -- falls
            local z = p.z + b.v.z / 60
            if z < 0.5 then z = 0.5; b.v.z = -b.v.z * 0.5 end
            b.e.p = { x = p.x + b.v.x / 60, y = p.y + b.v.y / 60, z = z }
            b.angle = b.angle + b.spin
            -- body 5 tumbles about a tilted axis: its largest component changes
            b.e.q = b.i == 5 and axis(0.6, 0.8, 0, b.angle * 4) or axis(0, 0, 1, b.angle)
            b.e.heading = b.e.heading + 0.02 * (b.i + 1)               -- wraps past 2π
            b.e.fuel = b.e.fuel - 0.125 * (b.i % 2)
            if match.tick % 10 == b.i then b.e.hits = b.e.hits + 1 end
          end
          if match.tick == 18 then
            for id, b in pairs(bodies) do if b.i == 2 then b.e.p = { x = 40, y = -40, z = 20 } end end   -- teleport
          end
          if match.tick == 12 or match.tick == 27 then
            for id, b in pairs(bodies) do
              if b.i == match.tick % 8 then match:despawn(b.e); bodies[id] = nil end
            end
            add(match, 8 + match.tick % 5)
          end
        end
        return game
        """

    static func record() throws -> JSON {
        let fixture = try GameFixture(game: game)
        let definition = try fixture.load()
        let match = try Match(game: definition, options: MatchOptions(seed: seed))
        let welcome = Welcome(playerID: 0, matchID: "motion-15", tickRate: definition.tickRate, tick: match.tick + 1,
                              resumeToken: "", schema: definition.schema)
        var session = SessionRecorder(
            name: "motion: a spectator watches bodies move, fall, spin, tumble, teleport, appear and vanish at 60 Hz for \(ticks) ticks, "
                + "missing ticks \(missed.sorted()) and getting a full snapshot at tick \(fullAt)",
            welcome: welcome, bytes: match.welcome(playerID: 0, matchID: welcome.matchID))
        for _ in 0..<ticks {
            match.step()
            guard let state = match.snapshots.latest, !missed.contains(state.tick) else { continue }
            let full = state.tick == fullAt
            let bytes = match.frame(baseline: full ? nil : session.held?.tick, prior: full ? nil : session.previous?.tick, audience: .spectator)
            session.snapshot(bytes, state: state, lastInput: 0, events: [])
        }
        precondition(match.status.isRunning, "the motion match ended: \(match.failures.first.map { "\($0.error)" } ?? "")")
        return session.json
    }
}
