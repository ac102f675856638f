extension GameTemplate {
    /// `tickwire new NAME --template topdown`.
    static let topdown = GameTemplate(
        name: "topdown",
        summary: """
            A top-down collecting game: heroes walk a square field picking up gems
            (gold ones are worth 5) until the clock runs out; the most points win.
            """,
        editFirst: """
            - The tuning constants at the top of `game.lua`: field size, speed,
              reach, number of gems, gold share and value, time limit
              (`--param time_limit=30`).
            - `drop_gem` places gems; `game.tick` moves heroes and picks gems up.
              Add walls, hazards or a second kind of pickup there.
            - `bot.lua`'s `think`: which gem a bot walks to.
            """,
        game: #"""
        -- __NAME__: a top-down collecting game. Walk around a square field and pick
        -- up gems; gold ones are worth more. When the clock runs out, the most points
        -- win (a tie is a draw).
        -- Coordinates: x right, y up, in world units; times in seconds.

        -- Your editor knows this table's fields and callbacks from .tickwire/types.lua,
        -- written by `tickwire types` (again after you change the declarations).
        ---@type tw.Game
        local game = { name = "__NAME__", tick_rate = 20, max_players = 8 }

        -- Tuning: start here.
        local HALF        = 100       -- the field spans -HALF..HALF on both axes
        local SPEED       = 40        -- units per second
        local REACH       = 5         -- how close a hero must come to pick a gem up
        local GEMS        = 12        -- gems on the field at any time
        local GOLD_CHANCE = 0.15      -- share of gems that are gold
        local GOLD_VALUE  = 5
        local TIME_LIMIT  = 60        -- `--param time_limit=30` overrides it

        -- What players see. Fixed-point positions: 1/16 of a unit is plenty on screen.
        local COORD = { "fixed", -HALF, HALF, 1/16 }
        game.state = {
          match = { time_left = "u16" },                 -- whole seconds
          hero = { x = COORD, y = COORD, player = "u8", name = { "string", 16 }, score = "u16" },
          gem = { x = COORD, y = COORD, value = "u8" },
        }

        -- What a player sends: the direction to walk, -1, 0 or 1 on each axis.
        -- A client may send anything an i8 holds (-128..127), so clamp it.
        game.input = { dx = "i8", dy = "i8" }

        game.events = { picked = { by = { "entity", "hero" }, value = "u8" } }

        local heroes = {}             -- hero entities in id order
        local by_player = {}          -- player id -> hero
        local time_limit = TIME_LIMIT
        local final                   -- the result, once the time is up

        local function clamp(v, lo, hi) return math.max(lo, math.min(hi, v)) end

        local function drop_gem(match)
          local gold = match:random() < GOLD_CHANCE
          match:spawn("gem", { x = match:random(-HALF + 5, HALF - 5), y = match:random(-HALF + 5, HALF - 5),
                               value = gold and GOLD_VALUE or 1 })
        end

        function game.init(match, params)
          time_limit = tonumber(params.time_limit) or TIME_LIMIT
          match.time_left = time_limit
          for _ = 1, GEMS do drop_gem(match) end
        end

        function game.join(match, player)
          if final then return false, "the match is over" end
          local h = match:spawn("hero", {
            x = match:random(-HALF + 5, HALF - 5), y = match:random(-HALF + 5, HALF - 5),
            player = player.id, name = player.name:sub(1, 16), score = 0,
            dx = 0, dy = 0,                              -- the last input: not declared, so never sent
          })
          heroes[#heroes + 1] = h
          by_player[player.id] = h
          return true
        end

        function game.leave(match, player)
          local h = by_player[player.id]
          if not h then return end
          by_player[player.id] = nil                     -- seats are reused: forget the player
          for i = #heroes, 1, -1 do
            if heroes[i] == h then table.remove(heroes, i) end
          end
          match:despawn(h)
        end

        function game.tick(match, inputs, dt)
          if final then return end
          for _, h in ipairs(heroes) do
            local input = inputs[h.player]              -- absent when the player sent nothing this tick
            if input then h.dx, h.dy = clamp(input.dx, -1, 1), clamp(input.dy, -1, 1) end
            local norm = (h.dx ~= 0 and h.dy ~= 0) and math.sqrt(0.5) or 1   -- no faster on diagonals
            h.x = clamp(h.x + h.dx * norm * SPEED * dt, -HALF, HALF)
            h.y = clamp(h.y + h.dy * norm * SPEED * dt, -HALF, HALF)
            for g in match:each("gem") do               -- despawning while walking is safe
              if (g.x - h.x) ^ 2 + (g.y - h.y) ^ 2 < REACH * REACH then
                h.score = h.score + g.value
                match:broadcast("picked", { by = h, value = g.value })
                match:despawn(g)
                drop_gem(match)                         -- not visited by this walk
              end
            end
          end
          match.time_left = math.max(0, math.ceil(time_limit - match.time))
          if match.time_left == 0 then
            local best, tied = nil, false
            for _, h in ipairs(heroes) do
              if not best or h.score > best.score then best, tied = h, false
              elseif h.score == best.score then tied = true end
            end
            final = { winner = best and not tied and best.name or nil, score = best and best.score or 0,
                      draw = not best or tied, ticks = match.tick }
          end
        end

        -- nil while the match goes on; the result table ends it.
        function game.result()
          return final
        end

        return game

        """#,
        bot: #"""
        -- A bot for __NAME__: walk to the gem with the best value for its distance.
        -- One Lua state serves every bot of a match; each bot's memory is on `me`.

        local function sign(v)
          if v > 1 then return 1 elseif v < -1 then return -1 else return 0 end
        end

        local function my_hero(view, me)
          local h = me.hero_id and view.byid[me.hero_id]
          if h then return h end
          for _, hero in ipairs(view.hero) do
            if hero.player == me.id then me.hero_id = hero.id; return hero end
          end
        end

        ---@param view tw.View what this bot sees, as a player would
        ---@param me tw.Me this bot: the same table every tick
        local function think(view, me)
          local h = my_hero(view, me)
          if not h then return nil end                   -- nil: send no input this tick
          local target, best = nil, -1
          for _, g in ipairs(view.gem) do
            local worth = g.value / (1 + math.sqrt((g.x - h.x) ^ 2 + (g.y - h.y) ^ 2))
            if worth > best then target, best = g, worth end
          end
          if not target then return { dx = 0, dy = 0 } end
          return { dx = sign(target.x - h.x), dy = sign(target.y - h.y) }
        end

        return { think = think }

        """#
    )
}
