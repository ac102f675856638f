extension GameTemplate {
    /// `tickwire new NAME --template arena`.
    static let arena = GameTemplate(
        name: "arena",
        summary: """
            A tiny arena shooter: ships turn, thrust and fire in a walled square; one
            hit kills, and the first to 5 kills wins.
            """,
        editFirst: """
            - The tuning constants at the top of `game.lua`: arena size, speeds,
              cooldown, score and time limits (`--param score_limit=10`,
              `--param time_limit=30` override the last two).
            - `fly` moves a ship and fires; `game.tick` moves bullets and scores hits.
              Give ships hit points, or inertia, there.
            - `bot.lua`'s `think`: how a bot picks its target and when it fires.
            """,
        game: #"""
        -- __NAME__: a tiny arena shooter. Ships turn, thrust and fire in a walled
        -- square; one hit kills and scores 1 for the shooter. The first to the score
        -- limit wins, or the leader when the clock runs out (a tie is a draw).
        -- Coordinates: x right, y up; angles in radians (0 = +x, counter-clockwise).

        -- Your editor knows this table's fields and callbacks from .tickwire/types.lua,
        -- written by `tickwire types` (again after you change the declarations).
        ---@type tw.Game
        local game = { name = "__NAME__", tick_rate = 20, max_players = 8 }

        -- Tuning, in world units and seconds: start here.
        local HALF          = 200     -- the arena spans -HALF..HALF on both axes
        local TURN_RATE     = 3.5     -- radians per second at full turn
        local SPEED         = 90      -- while thrusting (no inertia, to keep it short)
        local BULLET_SPEED  = 240
        local BULLET_LIFE   = 1.2
        local FIRE_COOLDOWN = 0.4
        local HIT_RADIUS    = 9
        local RESPAWN_DELAY = 1.5
        local SCORE_LIMIT   = 5       -- kills to win; `--param score_limit=10` overrides it
        local TIME_LIMIT    = 90      -- seconds; `--param time_limit=30` overrides it

        -- What players see. Each field is sent only when it changes, at the
        -- precision its type gives: x/y to 1/16 of a unit, the angle in 256 steps.
        game.state = {
          match = { time_left = "u16" },              -- whole seconds
          ship = {
            x = { "fixed", -256, 256, 1/16 }, y = { "fixed", -256, 256, 1/16 },
            angle = { "angle", 8 },
            player = "u8",                            -- the owner's player id
            name = { "string", 16 },
            score = "u8",
            alive = "bool",
          },
          bullet = { x = { "fixed", -256, 256, 1/8 }, y = { "fixed", -256, 256, 1/8 } },
        }

        -- What a player sends every tick. turn: -1 (clockwise) .. 1; clamp it.
        game.input = { turn = "i8", thrust = "bool", fire = "bool" }

        -- One-shot messages, sent with the tick's state.
        game.events = { kill = { victim = { "entity", "ship" }, killer = { "entity", "ship" } } }

        -- File-level locals belong to one match: every match runs this file anew.
        local ships = {}              -- ship entities in id order (a dead ship stays, alive = false)
        local by_player = {}          -- player id -> ship
        local score_limit, time_limit = SCORE_LIMIT, TIME_LIMIT
        local final                   -- the result, once the match is over

        local function clamp(v, lo, hi) return math.max(lo, math.min(hi, v)) end

        -- Randomness comes from match:random, so a seed replays the same match.
        local function respawn(match, s)
          s.x, s.y = match:random(-HALF + 20, HALF - 20), match:random(-HALF + 20, HALF - 20)
          s.angle = match:random() * 2 * math.pi
          s.alive, s.cooldown = true, 0
        end

        function game.init(match, params)
          score_limit = tonumber(params.score_limit) or SCORE_LIMIT
          time_limit = tonumber(params.time_limit) or TIME_LIMIT
          match.time_left = time_limit
        end

        function game.join(match, player)
          if final then return false, "the match is over" end
          local s = match:spawn("ship", {
            player = player.id, name = player.name:sub(1, 16), score = 0,
            turn = 0, thrust = false, fire = false,     -- last input: not declared, so never sent
          })
          respawn(match, s)
          ships[#ships + 1] = s                         -- the newest id, so the list stays in id order
          by_player[player.id] = s
          return true
        end

        function game.leave(match, player)
          local s = by_player[player.id]
          if not s then return end
          by_player[player.id] = nil                    -- seats are reused: forget the player
          for i = #ships, 1, -1 do
            if ships[i] == s then table.remove(ships, i) end
          end
          for b in match:each("bullet") do
            if b.owner == s then match:despawn(b) end
          end
          match:despawn(s)
        end

        local function finish(match)
          local best, tied = nil, false
          for _, s in ipairs(ships) do
            if not best or s.score > best.score then best, tied = s, false
            elseif s.score == best.score then tied = true end
          end
          local winner = best and not tied and best or nil
          final = { winner = winner and winner.name or nil, score = best and best.score or 0,
                    draw = winner == nil, ticks = match.tick }
        end

        local function fly(match, s, dt)
          s.angle = (s.angle + clamp(s.turn, -1, 1) * TURN_RATE * dt) % (2 * math.pi)
          if s.thrust then
            s.x = clamp(s.x + math.cos(s.angle) * SPEED * dt, -HALF, HALF)
            s.y = clamp(s.y + math.sin(s.angle) * SPEED * dt, -HALF, HALF)
          end
          s.cooldown = s.cooldown - dt
          if s.fire and s.cooldown <= 0 then
            s.cooldown = FIRE_COOLDOWN
            local c, n = math.cos(s.angle), math.sin(s.angle)
            match:spawn("bullet", { x = s.x + c * HIT_RADIUS, y = s.y + n * HIT_RADIUS,
                                    vx = c * BULLET_SPEED, vy = n * BULLET_SPEED,
                                    life = BULLET_LIFE, owner = s })
          end
        end

        -- The bullet's victim, if it touches a living ship other than its owner's.
        local function victim_of(b)
          for _, s in ipairs(ships) do
            if s.alive and s ~= b.owner and (s.x - b.x) ^ 2 + (s.y - b.y) ^ 2 < HIT_RADIUS ^ 2 then return s end
          end
        end

        function game.tick(match, inputs, dt)
          if final then return end
          for _, s in ipairs(ships) do
            local input = inputs[s.player]           -- absent when the player sent nothing this tick
            if input then s.turn, s.thrust, s.fire = input.turn, input.thrust, input.fire end
            if s.alive then
              fly(match, s, dt)
            else
              s.respawn_in = s.respawn_in - dt
              if s.respawn_in <= 0 then respawn(match, s) end
            end
          end
          for b in match:each("bullet") do           -- despawning while walking is safe
            b.x, b.y, b.life = b.x + b.vx * dt, b.y + b.vy * dt, b.life - dt
            local hit = victim_of(b)
            if hit then
              hit.alive, hit.respawn_in = false, RESPAWN_DELAY
              b.owner.score = b.owner.score + 1
              match:broadcast("kill", { victim = hit, killer = b.owner })
              match:despawn(b)
            elseif b.life <= 0 or math.abs(b.x) > HALF or math.abs(b.y) > HALF then
              match:despawn(b)
            end
          end
          match.time_left = math.max(0, math.ceil(time_limit - match.time))
          local top = 0
          for _, s in ipairs(ships) do top = math.max(top, s.score) end
          if top >= score_limit or match.time_left == 0 then finish(match) end
        end

        -- nil while the match goes on; the result table ends it.
        function game.result()
          return final
        end

        return game

        """#,
        bot: #"""
        -- A bot for __NAME__: turn toward the nearest living enemy, close in, fire
        -- when roughly aimed. One Lua state serves every bot of a match, so each
        -- bot's memory lives on its own `me` table.

        local pi = math.pi

        -- The angle from a to b, folded into -pi..pi.
        local function wrap(d) return (d + pi) % (2 * pi) - pi end

        local function my_ship(view, me)
          local s = me.ship_id and view.byid[me.ship_id]
          if s then return s end
          for _, ship in ipairs(view.ship) do
            if ship.player == me.id then me.ship_id = ship.id; return ship end
          end
        end

        ---@param view tw.View what this bot sees, as a player would
        ---@param me tw.Me this bot: the same table every tick
        local function think(view, me)
          local s = my_ship(view, me)
          if not s or not s.alive then return nil end  -- nil: no input this tick
          local target, best = nil, math.huge
          for _, o in ipairs(view.ship) do
            local d = (o.x - s.x) ^ 2 + (o.y - s.y) ^ 2
            if o.alive and o.id ~= s.id and d < best then target, best = o, d end
          end
          if not target then return { turn = 1, thrust = true, fire = false } end
          local off = wrap(math.atan(target.y - s.y, target.x - s.x) - s.angle)
          local turn = 0
          if off > 0.05 then turn = 1 elseif off < -0.05 then turn = -1 end
          return { turn = turn, thrust = best > 60 * 60, fire = math.abs(off) < 0.2 }
        end

        return { think = think }

        """#
    )
}
