import Protocol
import Testing
import TestSupport
@testable import Engine

/// Spatial interest on a map far wider than 256 radii (the grid's cells
/// grow past one radius) and with a viewpoint outside everything placed.
@Suite struct SpatialInterestTests {
    @Test func aHugeMapStillFindsExactlyWhatIsNear() throws {
        let fixture = try GameFixture(game: """
            local game = { name = "far", tick_rate = 10, max_players = 2 }
            game.state = {
              eye = { owner = "u8", x = { "fixed", -2000000, 2000000, 1 }, y = { "fixed", -10, 10, 1 } },
              dot = { x = { "fixed", -2000000, 2000000, 1 }, y = { "fixed", -10, 10, 1 } },
            }
            game.interest = { radius = 10, from = "eye" }
            function game.init(match)
              for _, x in ipairs({ 0, 500000, 500009, 500011, 499991, 1000000, 1000010 }) do
                match:spawn("dot", { x = x, y = 0 })
              end
            end
            function game.join(match, player)
              -- player 1 looks at 500000; player 2 from beyond the last dot
              match:spawn("eye", { owner = player.id, x = player.id == 1 and 500000 or 1000015, y = 0 })
            end
            function game.tick(match) end
            return game
            """)
        let match = try Match(game: fixture.load())
        _ = match.join(name: "a")
        _ = match.join(name: "b")
        match.step()
        func seen(_ player: Int) throws -> [Double] {
            let mirror = try ClientMirror(welcome: match.welcome(playerID: player, matchID: "m"))
            try mirror.apply(match.frame(baseline: nil, audience: .player(player)))
            return mirror.entities.filter { $0.kind == "dot" }.compactMap { if case .number(let x)? = $0["x"] { x } else { nil } }.sorted()
        }
        #expect(try seen(1) == [499991, 500000, 500009])
        #expect(try seen(2) == [1000010])
    }
}
