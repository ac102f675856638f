@testable import Engine
import Protocol
import TestSupport

/// A game that hides things, seen by one of its players: owner-only
/// entities, a private field of other players' entities (sent as its zero
/// value), an entity the rules show to a list of players and then hide, and
/// entities entering and leaving the player's interest radius as the
/// player's own entity walks along a line of beacons. The player misses two
/// ticks on the way, so one delta spans views of several ticks.
enum ViewSession {
    static let seed: Int64 = 0x7E57_0014
    static let viewer = 2
    static let ticks = 40
    static let missed: Set<Int> = [17, 18]

    static let game = """
        local game = { name = "views", tick_rate = 20, max_players = 3 }
        game.state = {
          walker = { owner = "u8", x = { "fixed", 0, 2000, 0.5 }, y = { "fixed", 0, 100, 0.5 } },
          beacon = { x = { "fixed", 0, 2000, 0.5 }, y = { "fixed", 0, 100, 0.5 }, glow = "u8" },
          purse = { owner = "u8", coins = { "u16", private = true }, label = { "string", 12, private = true }, shown = "bool" },
          letter = { text = { "string", 16 } },
          flag = { up = "bool" },
        }
        game.visible = { letter = "owner" }
        game.interest = { radius = 120, from = "walker" }
        local walkers, flag = {}, nil
        function game.init(match)
          for i = 0, 20 do match:spawn("beacon", { x = i * 100, y = 50, glow = i }) end
          flag = match:spawn("flag", { up = false })
        end
        function game.join(match, player)
          walkers[player.id] = match:spawn("walker", { owner = player.id, x = player.id * 300, y = 50 })
          match:spawn("purse", { owner = player.id, coins = 10 * player.id, label = "p" .. player.id })
          match:spawn("letter", { text = "to " .. player.id }, { owner = player })
        end
        function game.tick(match)
          for id, w in pairs(walkers) do w.x = w.x + 7.5 * id end
          for p in match:each("purse") do p.coins = p.coins + 1 end
          for b in match:each("beacon") do b.glow = (b.glow + 1) % 256 end
          if match.tick == 5 then match:show(flag, 2); flag.up = true end
          if match.tick == 12 then match:show(flag, 3) end
          if match.tick == 20 then match:hide(flag, 2) end
          if match.tick == 30 then match:reset_visibility(flag) end
        end
        return game
        """

    static func record() throws -> JSON {
        let fixture = try GameFixture(game: game)
        let definition = try fixture.load()
        let match = try Match(game: definition, options: MatchOptions(seed: seed))
        for n in 1...3 {
            guard case .joined = match.join(name: "p\(n)") else { preconditionFailure("views refused p\(n)") }
        }
        let welcome = Welcome(playerID: viewer, matchID: "views-14", tickRate: definition.tickRate, tick: match.tick + 1,
                              resumeToken: "", schema: definition.schema)
        var session = SessionRecorder(
            name: "views: player \(viewer) of 3 sees its own view for \(ticks) ticks: owner-only and private values of others "
                + "withheld, beacons entering and leaving its interest radius, an entity shown to a list and hidden again",
            welcome: welcome, bytes: match.welcome(playerID: viewer, matchID: welcome.matchID))
        for _ in 0..<ticks {
            match.step()
            guard let state = match.snapshots.latest, !missed.contains(state.tick) else { continue }
            let view = match.views.views(tick: state.tick)!.view(for: .player(viewer)).snapshot
            let bytes = match.frame(baseline: session.held?.tick, prior: session.previous?.tick, audience: .player(viewer))
            session.snapshot(bytes, state: view, lastInput: 0, events: [])
        }
        return session.json
    }
}
