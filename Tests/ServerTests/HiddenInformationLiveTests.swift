import Client
import Engine
import Foundation
import Protocol
import Testing

/// The guarantee of hidden information, on a real server: every snapshot
/// a player's socket is handed is searched, bit by bit, for the values that
/// player may not see — another player's private field, an entity only its
/// owner sees, one nobody sees, one outside the player's interest radius —
/// and decoded, to check the state it gives. Every hidden value changes each
/// tick and is tagged with the tick, so it is also checked that what the
/// player may see is there, frame by frame.
@Suite(.timeLimit(.minutes(2))) struct HiddenInformationLiveTests {
    static let game = """
        local game = { name = "secrets", tick_rate = 30, max_players = 4 }
        game.state = {
          avatar = { owner = "u8", x = { "fixed", 0, 10000, 1 }, y = { "fixed", 0, 100, 1 } },
          hand = { owner = "u8", count = "u8", secret = { "string", 24, private = true } },
          note = { text = { "string", 24 } },
          deck = { text = { "string", 24 } },
          mob = { x = { "fixed", 0, 10000, 1 }, y = { "fixed", 0, 100, 1 }, tag = { "string", 24 } },
        }
        game.visible = { note = "owner", deck = "nobody", hand = "everyone" }
        game.interest = { radius = 250, from = "avatar" }
        game.spectators = "public"
        local mine = {}
        function game.init(match)
          match:spawn("deck", { text = "DECK-0." })
          for i = 1, 60 do match:spawn("mob", { x = i * 100, y = 0, tag = "MOB-" .. i .. "-0." }) end
        end
        function game.join(match, player)
          mine[player.id] = {
            avatar = match:spawn("avatar", { owner = player.id, x = 0, y = 0 }),
            hand = match:spawn("hand", { owner = player.id, count = 5, secret = "" }),
            note = match:spawn("note", { text = "" }, { owner = player }),
          }
        end
        function game.leave(match, player)
          for _, e in pairs(mine[player.id]) do match:despawn(e) end
          mine[player.id] = nil
        end
        function game.tick(match)
          local t = match.tick
          for id, m in pairs(mine) do
            m.avatar.x = id * 1000 + t * 10
            m.hand.secret = "SECRET-" .. id .. "-" .. t .. "."
            m.note.text = "NOTE-" .. id .. "-" .. t .. "."
          end
          for d in match:each("deck") do d.text = "DECK-" .. t .. "." end
          for e in match:each("mob") do e.tag = "MOB-" .. (e.x // 100) .. "-" .. t .. "." end
        end
        return game
        """

    /// Whether `marker`'s bytes appear in `frame` at any bit offset (the
    /// wire packs strings without aligning them), least significant bit first.
    static func carries(_ frame: [UInt8], _ marker: String) -> Bool {
        let needle = Array(marker.utf8)
        guard frame.count >= needle.count else { return false }
        for shift in 0..<8 {
            var shifted = [UInt8](repeating: 0, count: frame.count)
            for i in frame.indices {
                let next = i + 1 < frame.count ? UInt16(frame[i + 1]) : 0
                shifted[i] = UInt8(truncatingIfNeeded: (UInt16(frame[i]) | next << 8) >> UInt16(shift))
            }
            if shifted.indices.dropLast(needle.count - 1).contains(where: { shifted[$0..<$0 + needle.count].elementsEqual(needle) }) {
                return true
            }
        }
        return false
    }

    static func sees(player: Int, mob: Int, tick: Int) -> Bool {
        abs(mob * 100 - (player * 1000 + tick * 10)) <= 250
    }

    @Test func aSocketNeverCarriesWhatItsPlayerMayNotSee() async throws {
        let live = try await LiveServer(extraGames: ["secrets": Self.game])
        var players: [(id: Int, connection: TickwireConnection)] = []
        var matchID = ""
        for n in 1...3 {
            let path = matchID.isEmpty ? "/play?game=secrets" : "/play?game=secrets&match=\(matchID)"
            let connection = try await live.connect(path, name: "p\(n)")
            let welcome = try await connection.welcome
            matchID = welcome.matchID
            players.append((welcome.playerID, connection))
        }
        let spectator = try await live.connect("/spectate?match=\(matchID)")
        _ = try await spectator.welcome

        // Following a player is refused: this game's spectators see only what is public.
        let follower = try await live.connect("/spectate?match=\(matchID)&follow=1")
        var refusal: ErrorMessage?
        while let message = try? await follower.next() { if case .error(let e) = message { refusal = e } }
        #expect(refusal?.code == .refused, "\(String(describing: refusal))")

        var checked = 0
        for (id, connection) in players {
            let mirror = ClientMirror(schema: try await connection.welcome.schema)
            for _ in 0..<90 {
                guard let (header, frame) = try await connection.nextSnapshot() else { break }
                let t = Int(header.tick)
                let state = try mirror.apply(frame)
                #expect(state.tick == t)
                for other in 1...4 where other != id {
                    #expect(!Self.carries(frame, "SECRET-\(other)-"), "player \(id) was sent \(other)'s hand at tick \(t)")
                    #expect(!Self.carries(frame, "NOTE-\(other)-"), "player \(id) was sent \(other)'s note at tick \(t)")
                }
                #expect(!Self.carries(frame, "DECK-"), "player \(id) was sent the deck at tick \(t)")
                #expect(Self.carries(frame, "SECRET-\(id)-\(t)."), "player \(id) lacks its own hand at tick \(t)")
                #expect(Self.carries(frame, "NOTE-\(id)-\(t)."), "player \(id) lacks its own note at tick \(t)")
                for mob in 1...60 {
                    #expect(Self.carries(frame, "MOB-\(mob)-\(t).") == Self.sees(player: id, mob: mob, tick: t),
                            "player \(id), mob \(mob) at tick \(t)")
                }
                // The decoded state: the player's view, nothing more.
                let entities = mirror.entities
                #expect(!entities.contains { $0.kind == "deck" })
                #expect(entities.filter { $0.kind == "note" }.count == 1)
                for hand in entities where hand.kind == "hand" {
                    let owner = hand["owner"].flatMap { if case .number(let n) = $0 { Int(n) } else { nil } }
                    #expect(hand["secret"] == .string(owner == id ? "SECRET-\(id)-\(t)." : ""))
                }
                let mobs = Set(entities.filter { $0.kind == "mob" }.compactMap { e -> Int? in
                    if case .number(let x)? = e["x"] { Int(x) / 100 } else { nil }
                })
                #expect(mobs == Set((1...60).filter { Self.sees(player: id, mob: $0, tick: t) }), "player \(id) at tick \(t)")
                checked += 1
            }
        }
        #expect(checked >= 3 * 60)

        let mirror = ClientMirror(schema: try await spectator.welcome.schema)
        for _ in 0..<30 {
            guard let (header, frame) = try await spectator.nextSnapshot() else { break }
            let t = Int(header.tick)
            _ = try mirror.apply(frame)
            for marker in ["SECRET-", "NOTE-", "DECK-"] { #expect(!Self.carries(frame, marker), "the spectator was sent \(marker) at \(t)") }
            #expect((1...60).allSatisfy { Self.carries(frame, "MOB-\($0)-\(t).") })
            #expect(mirror.entities.filter { $0.kind == "hand" }.count == 3)
            #expect(mirror.entities.allSatisfy { $0.kind != "note" && $0.kind != "deck" })
        }
        for (_, connection) in players { _ = await connection.close() }
        _ = await spectator.close()
        await live.stop()
    }
}
