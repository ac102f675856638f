import Protocol
import Testing
import TestSupport
@testable import Engine

/// Random games that hide things (private fields, kind rules, audiences set
/// by the rules, spatial interest) played with random moves: every tick,
/// each player's decoded state must equal the whole state filtered by what
/// that player may see, worked out here from the rules' own record of who
/// may see what (each entity mirrors its audience in declared fields).
/// Players skip ticks at random, so deltas span several ticks of views.
@Suite struct VisibilityPropertyTests {
    struct Case: CustomStringConvertible {
        var kinds: [KindCase]
        var interest: Double?
        var publicSpectators: Bool
        var seed: UInt64
        var description: String { "seed \(seed): \(kinds.map(\.description)), interest \(interest.map { "\($0)" } ?? "none")" }
    }

    struct KindCase: CustomStringConvertible {
        var name: String
        /// `owner` declared (else undeclared, mirrored in `who`).
        var declaresOwner: Bool
        var rule: GameVisibility.KindRule
        var privateA: Bool
        var privateS: Bool
        var spatial: Bool
        var description: String {
            "\(name)(\(declaresOwner ? "owner" : "who") \(rule.rawValue)\(privateA ? " a*" : "")\(privateS ? " s*" : "")\(spatial ? " xy" : ""))"
        }
    }

    static func cases() -> [Case] {
        var rng = SplitMix64(seed: 14)
        let rules: [GameVisibility.KindRule] = [.normal, .owner, .nobody, .everyone]
        return (0..<24).map { n in
            let interest = n % 3 == 0 ? nil : Double(Int.random(in: 100...600, using: &rng)) + 0.5
            let kinds = (1...Int.random(in: 1...3, using: &rng)).map { k in
                KindCase(name: "k\(k)", declaresOwner: Bool.random(using: &rng), rule: rules.randomElement(using: &rng)!,
                         privateA: Bool.random(using: &rng), privateS: Bool.random(using: &rng),
                         spatial: interest != nil && Bool.random(using: &rng))
            }
            return Case(kinds: kinds, interest: interest, publicSpectators: Bool.random(using: &rng), seed: rng.next() % 1000)
        }
    }

    static func source(_ c: Case) -> String {
        func field(_ type: String, _ isPrivate: Bool) -> String { "{ \(type)\(isPrivate ? ", private = true" : "") }" }
        var state: [String] = []
        for k in c.kinds {
            var fields = [k.declaresOwner ? "owner = \"u8\"" : "who = \"u8\"", "vis = \"u8\"", "seen = \"u8\"",
                          "a = \(field("\"u16\"", k.privateA))", "s = \(field("\"string\", 12", k.privateS))"]
            if k.spatial { fields += ["x = { \"fixed\", 0, 1000, 1 }", "y = { \"fixed\", 0, 1000, 1 }"] }
            state.append("  \(k.name) = { \(fields.joined(separator: ", ")) },")
        }
        if c.interest != nil {
            state.append("  av = { owner = \"u8\", vis = \"u8\", seen = \"u8\", x = { \"fixed\", 0, 1000, 1 }, y = { \"fixed\", 0, 1000, 1 } },")
        }
        let rules = c.kinds.filter { $0.rule != .normal }.map { "\($0.name) = \"\($0.rule.rawValue)\"" }
        let kindList = c.kinds.map { "\"\($0.name)\"" }.joined(separator: ", ")
        let declared = c.kinds.map { "\($0.name) = \($0.declaresOwner)" }.joined(separator: ", ")
        let spatial = c.kinds.map { "\($0.name) = \($0.spatial)" }.joined(separator: ", ")
        return """
            local game = { tick_rate = 10, max_players = 4 }
            game.state = {
            \(state.joined(separator: "\n"))
            }
            game.visible = { \(rules.joined(separator: ", ")) }
            \(c.interest.map { "game.interest = { radius = \($0), from = \"av\" }" } ?? "")
            game.spectators = "\(c.publicSpectators ? "public" : "everything")"
            local kinds = { \(kindList) }
            local declared = { \(declared) }
            local spatial = { \(spatial) }
            local things = {}

            local function set_owner(e, p)
              if declared[e.kind] then e.owner = p
              else e.owner = p > 0 and p or nil; e.who = p end
            end

            -- Changes who sees e, and mirrors it in vis and seen.
            local function audience(match, e)
              local r, p = match:random(1, 12), match:random(1, 4)
              if r == 1 then match:hide(e); e.vis, e.seen = 1, 0
              elseif r == 2 then match:show(e); e.vis, e.seen = 2, 0
              elseif r <= 5 then
                match:show(e, p)
                if e.vis == 3 then e.seen = e.seen | (1 << (p - 1))
                elseif e.vis ~= 2 then e.vis, e.seen = 3, 1 << (p - 1) end
              elseif r == 6 and e.vis == 3 then match:hide(e, p); e.seen = e.seen & ~(1 << (p - 1))
              elseif r == 7 then match:reset_visibility(e); e.vis, e.seen = 0, 0 end
            end

            local function spawn(match)
              local kind = kinds[match:random(1, #kinds)]
              local e = { vis = 0, seen = 0, a = match:random(0, 65535), s = "s" .. match:random(1, 99999) }
              if spatial[kind] then e.x, e.y = match:random(0, 1000), match:random(0, 1000) end
              local p = match:random(0, 4)
              if p > 0 and match:random(1, 2) == 1 then
                e = match:spawn(kind, e, { owner = p })
                if not declared[kind] then e.who = p end
              else
                e = match:spawn(kind, e)
                set_owner(e, p)
              end
              things[#things + 1] = e
            end

            function game.init(match)
              for _ = 1, 12 do spawn(match) end
            end

            function game.join(match, player)
              if game.interest then
                match:spawn("av", { owner = player.id, vis = 0, seen = 0, x = match:random(0, 1000), y = match:random(0, 1000) })
              end
            end

            function game.tick(match)
              for av in game.interest and match:each("av") or function() end do
                av.x = math.max(0, math.min(1000, av.x + match:random(-60, 60)))
                av.y = math.max(0, math.min(1000, av.y + match:random(-60, 60)))
                if match:random(1, 30) == 1 then audience(match, av) end
              end
              for i = #things, 1, -1 do
                local e = things[i]
                local r = match:random(1, 20)
                if r == 1 then match:despawn(e); table.remove(things, i)
                elseif r <= 4 then audience(match, e)
                elseif r <= 6 then set_owner(e, match:random(0, 4))
                elseif r <= 9 then e.a = match:random(0, 65535); e.s = "t" .. match.tick .. "-" .. e.id
                elseif r <= 14 and spatial[e.kind] then
                  e.x = math.max(0, math.min(1000, e.x + match:random(-80, 80)))
                  e.y = math.max(0, math.min(1000, e.y + match:random(-80, 80)))
                end
              end
              if #things < 40 and match:random(1, 3) == 1 then spawn(match) end
            end
            return game
            """
    }

    /// What `player` (0: the public) should hold of `whole`, by the rules.
    static func expected(_ whole: [EntityView], for player: Int, _ c: Case) -> [UInt32: [String: FieldValue]] {
        func number(_ e: EntityView, _ name: String) -> Int {
            if case .number(let n) = e[name] { return Int(n) }
            return 0
        }
        func owner(_ e: EntityView) -> Int { e["owner"] != nil ? number(e, "owner") : number(e, "who") }
        let viewpoint = whole.filter { $0.kind == "av" && owner($0) == player && player > 0 }.min { $0.id < $1.id }
        var result: [UInt32: [String: FieldValue]] = [:]
        for e in whole {
            let kind = c.kinds.first { $0.name == e.kind }
            let rule = kind?.rule ?? .normal
            let spatial = kind?.spatial ?? true
            let visible: Bool
            switch number(e, "vis") {
            case 1: visible = false
            case 2: visible = true
            case 3: visible = player > 0 && number(e, "seen") & (1 << (player - 1)) != 0
            default:
                switch rule {
                case .nobody: visible = false
                case .everyone: visible = true
                case .owner: visible = player > 0 && owner(e) == player
                case .normal:
                    if let radius = c.interest, spatial, player > 0 {
                        if owner(e) == player {
                            visible = true
                        } else if let viewpoint {
                            let dx = Double(number(e, "x") - number(viewpoint, "x")), dy = Double(number(e, "y") - number(viewpoint, "y"))
                            visible = dx * dx + dy * dy <= radius * radius
                        } else {
                            visible = false
                        }
                    } else {
                        visible = true
                    }
                }
            }
            guard visible else { continue }
            var fields: [String: FieldValue] = [:]
            for name in e.fieldNames { fields[name] = e[name] }
            if let kind, player == 0 || owner(e) != player {
                if kind.privateA { fields["a"] = .number(0) }
                if kind.privateS { fields["s"] = .string("") }
            }
            result[e.id] = fields
        }
        return result
    }

    static func held(_ mirror: ClientMirror) -> [UInt32: [String: FieldValue]] {
        var result: [UInt32: [String: FieldValue]] = [:]
        for e in mirror.entities {
            var fields: [String: FieldValue] = [:]
            for name in e.fieldNames { fields[name] = e[name] }
            result[e.id] = fields
        }
        return result
    }

    @Test(arguments: cases())
    func eachPlayerHoldsExactlyItsView(_ c: Case) throws {
        let fixture = try GameFixture(game: Self.source(c))
        let match = try Match(game: fixture.load(), options: MatchOptions(seed: Int64(c.seed)))
        var players: [ClientMirror] = []
        for n in 1...4 {
            #expect(match.join(name: "p\(n)") == .joined(playerID: n))
            players.append(try ClientMirror(welcome: match.welcome(playerID: n, matchID: "m")))
        }
        let whole = try ClientMirror(welcome: match.welcome(playerID: 0, matchID: "m"))
        let spectator = try ClientMirror(welcome: match.welcome(playerID: 0, matchID: "m"))
        var rng = SplitMix64(seed: c.seed)
        for t in 1...80 {
            match.step()
            try #require(match.failureCount == 0, "\(match.failures)")
            try whole.apply(match.frame(baseline: whole.state?.tick, audience: .everyone))
            for (n, mirror) in players.enumerated() where t == 1 || Int.random(in: 0..<3, using: &rng) > 0 {
                try mirror.apply(match.frame(baseline: mirror.state?.tick, audience: .player(n + 1)))
                let want = Self.expected(whole.entities, for: n + 1, c)
                #expect(Self.held(mirror) == want, "player \(n + 1) at tick \(t), \(c)")
            }
            try spectator.apply(match.frame(baseline: spectator.state?.tick, audience: .spectator))
            let want = c.publicSpectators ? Self.expected(whole.entities, for: 0, c) : Self.held(whole)
            #expect(Self.held(spectator) == want, "spectator at tick \(t), \(c)")
        }
    }
}
