import Protocol
import Testing
import TestSupport
@testable import Engine

/// Hidden information as a designer declares and uses it: what a game may
/// say (`private = true`, `game.visible`, `game.interest`,
/// `game.spectators`), the errors for what it may not, at file:line, and
/// the errors of `match:hide`, `match:show` and `spawn`'s owner.
@Suite struct VisibilityDeclarationTests {
    @Test func aGameDeclaresWhoSeesWhat() throws {
        let fixture = try GameFixture(game: game(state: """
              card = { rank = "u8", suit = { "u8", private = true } },
              hand = { owner = "u8", cards = { "string", 64, private = true }, count = "u8" },
              blob = { x = { "fixed", 0, 1000, 1 }, y = { "fixed", 0, 1000, 1 } },
              ball = { at = { "vec3", -10, 10, 0.5 } },
            """, after: """
            game.visible = { card = "owner", hand = "everyone" }
            game.interest = { radius = 300, from = "blob" }
            game.spectators = "public"
            """))
        let v = try fixture.load().visibility
        // Kinds by name: ball, blob, card, hand.
        #expect(v.kinds.map(\.rule) == [.normal, .normal, .owner, .everyone])
        #expect(v.kinds[2].privateFields == [1])
        #expect(v.kinds[3].privateFields == [0])
        #expect(v.kinds[3].ownerField == 2)
        #expect(v.kinds[1].position == .fields(x: 0, y: 1, z: nil))
        #expect(v.kinds[0].position == .vector(0))
        #expect(v.interest == GameVisibility.Interest(radius: 300, from: 1))
        #expect(v.spectators == .public)
        #expect(v.isDeclared)
    }

    @Test func arenaHidesNothing() throws {
        let arena = try GameDefinition.load(folder: gamesFolder + "/arena")
        #expect(!arena.visibility.isDeclared)
        #expect(arena.visibility.spectators == .everything)
    }

    @Test func mistakesAreNamedAtTheirLine() throws {
        try expectSchemaFailure(game(state: "match = { n = { \"u8\", private = true } }, -- here\nship = { x = \"u8\" },"),
                                "match fields are seen by every player")
        try expectSchemaFailure(game(state: "ship = {\n x = { \"u8\", private = \"yes\" }, -- here\n},"), "private must be true or false")
        try expectSchemaFailure(game(state: "ship = {\n owner = \"string\", -- here\n},"), "declare it an integer")
        try expectSchemaFailure(game(after: "game.visible = { ship = \"owners\" } -- here"), "must be \"owner\", \"nobody\" or \"everyone\"")
        try expectSchemaFailure(game(after: "game.visible = { shop = \"owner\" } -- here"), "not an entity kind")
        try expectSchemaFailure(game(after: "game.visible = \"owner\" -- here"), "game.visible must be a table")
        try expectSchemaFailure(game(after: "game.interest = { radius = 100, from = \"ship\" } -- here"), "has no position")
        try expectSchemaFailure(game(after: "game.interest = { radius = -1, from = \"ship\" } -- here"), "positive number")
        try expectSchemaFailure(game(after: "game.interest = { radius = 10, from = \"boat\" } -- here"), "not an entity kind")
        try expectSchemaFailure(game(after: "game.interest = 100 -- here"), "game.interest must be")
        try expectSchemaFailure(game(after: "game.spectators = \"some\" -- here"), "\"everything\" or \"public\"")
    }

    /// Each call's error, as a script failure at the line that made it.
    @Test(arguments: [
        ("match:hide({})", "hide: not a live entity"),
        ("match:show(nil)", "show: not a live entity"),
        ("match:show(e, 0)", "show: expected a player or a player id, got 0"),
        ("match:show(e, 256)", "show: expected a player or a player id, got 256"),
        ("match:show(e, \"ann\")", "show: expected a player or a player id, got a string"),
        ("match:hide(e, 1)", "hide: this entity is not shown to a list of players"),
        ("match:reset_visibility(5)", "reset_visibility: not a live entity"),
        ("match:spawn(\"ship\", {}, 3)", "spawn: options must be a table"),
        ("match:spawn(\"ship\", {}, { owner = 1.5 })", "spawn: owner: expected a player or a player id"),
        ("local gone = match:spawn(\"ship\", {}); match:despawn(gone); match:show(gone)", "show: not a live entity"),
    ])
    func misuseIsAScriptFailureAtItsLine(_ call: String, _ words: String) throws {
        let source = game(after: """
            function game.init(match)
              local e = match:spawn("ship", { x = 1 })
              \(call) -- here
            end
            """)
        let fixture = try GameFixture(game: source)
        let error = try #require(throws: GameError.self) { try Match(game: fixture.load()) }
        #expect(error.message.contains(words), "\(error)")
        #expect(error.location?.hasSuffix("game.lua:\(line(of: "-- here", in: source))") == true, "\(error)")
    }

    @Test func spawnGivesAnOwnerThatIsNotSentUnlessDeclared() throws {
        let fixture = try GameFixture(game: game(state: "gem = { v = { \"u8\", private = true } },", after: """
            function game.join(match, player)
              match:spawn("gem", { v = 40 + player.id }, { owner = player })
            end
            """))
        let match = try Match(game: fixture.load())
        _ = match.join(name: "a")
        _ = match.join(name: "b")
        match.step()
        for player in 1...2 {
            let mirror = try ClientMirror(welcome: match.welcome(playerID: player, matchID: "m"))
            try mirror.apply(match.frame(baseline: nil, audience: .player(player)))
            let values = mirror.entities.sorted { $0.id < $1.id }.map { $0["v"] }
            #expect(values == (1...2).map { $0 == player ? .number(Double(40 + $0)) : .number(0) })
            #expect(mirror.entities.allSatisfy { $0["owner"] == nil })
        }
    }

    @Test func viewersWhoSeeTheSameShareOneEncode() throws {
        let fixture = try GameFixture(game: game(state: """
              ship = { x = "u8" },
              secret = { v = "u8" },
            """, after: """
            game.visible = { secret = "owner" }
            game.max_players = 8
            function game.join(match, player)
              if player.id == 1 then match:spawn("secret", { v = 7 }, { owner = player }) end
              match:spawn("ship", { x = player.id })
            end
            """))
        let match = try Match(game: fixture.load())
        for n in 1...6 { _ = match.join(name: "p\(n)") }
        match.step()
        for n in 1...6 { _ = match.frame(baseline: nil, audience: .player(n)) }
        _ = match.frame(baseline: nil, audience: .spectator)
        // Player 1 sees the secret; 2...6 share one view; the spectator sees everything.
        #expect(match.viewsThisTick == 2)
        #expect(match.stateEncodesThisTick == 3)
    }
}
