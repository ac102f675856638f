extension GameTemplate {
    /// `tickwire new NAME --template 3d`.
    static let threeD = GameTemplate(
        name: "3d",
        summary: """
            3D tag for drones in a box: positions are `vec3` fields, facings `quat`
            fields; touching another drone passes "it" on, and whoever was "it" the
            shortest time wins.
            """,
        editFirst: """
            - The tuning constants at the top of `game.lua`: box size, speeds, tag
              radius, freeze time, time limit (`--param time_limit=30`).
            - The `vec3` and `quat` declarations in `game.state` and `game.input`:
              their ranges and steps set what players see and how many bits it takes.
            - `fly` moves a drone and turns it to face its way (`facing` builds the
              quaternion); `game.tick` passes "it" on.
            - `bot.lua`'s `think`: how "it" chases and the others flee.
            """,
        game: #"""
        -- __NAME__: 3D tag for drones in a box. One drone is "it"; touching another
        -- passes "it" on, and the new "it" is frozen for a moment. When the clock
        -- runs out, the drone that was "it" for the shortest time wins.
        -- Coordinates: y up; x and z across the floor; units are metres, times seconds.

        -- Your editor knows this table's fields and callbacks from .tickwire/types.lua,
        -- written by `tickwire types` (again after you change the declarations).
        ---@type tw.Game
        local game = { name = "__NAME__", tick_rate = 20, max_players = 8 }

        -- Tuning: start here.
        local HALF         = 50       -- the box spans -HALF..HALF on x and z
        local HEIGHT       = 20       -- and 0..HEIGHT on y
        local SPEED        = 12       -- metres per second
        local IT_SPEED     = 14       -- "it" is a little faster, so tags happen
        local TAG_RADIUS   = 2.5
        local FREEZE       = 1.5      -- seconds the new "it" cannot move
        local TIME_LIMIT   = 60       -- `--param time_limit=30` overrides it

        -- vec3 and quat fields (docs/lua-api.md, "Field types"): a position is a
        -- table { x, y, z } quantized per axis; a rotation is a unit quaternion
        -- { x, y, z, w }, sent in 2 + 3 * 10 bits.
        game.state = {
          match = { time_left = "u16", it = { "entity", "drone" } },
          drone = {
            pos = { "vec3", { -64, 64, 1/32 }, { 0, 32, 1/32 }, { -64, 64, 1/32 } },
            rot = "quat",                                -- faces the way it flies
            player = "u8", name = { "string", 16 },
            it_seconds = "u16",                          -- whole seconds spent as "it"
          },
        }

        -- The direction a player wants to fly; longer than 1 counts as 1.
        game.input = { move = { "vec3", -1, 1, 1/64 } }

        game.events = { tagged = { by = { "entity", "drone" }, target = { "entity", "drone" } } }

        local drones = {}             -- drone entities in id order
        local by_player = {}          -- player id -> drone
        local it                      -- the drone that is "it"
        local time_limit = TIME_LIMIT
        local tags = 0
        local final

        local function clamp(v, lo, hi) return math.max(lo, math.min(hi, v)) end

        local function make_it(match, d)
          it = d
          match.it = d                                   -- an entity field takes the entity (or its id)
          if d then d.frozen_until = match.time + FREEZE end
        end

        function game.init(match, params)
          time_limit = tonumber(params.time_limit) or TIME_LIMIT
          match.time_left = time_limit
        end

        function game.join(match, player)
          if final then return false, "the match is over" end
          local d = match:spawn("drone", {
            pos = { x = match:random(-HALF, HALF), y = match:random(2, HEIGHT), z = match:random(-HALF, HALF) },
            rot = { x = 0, y = 0, z = 0, w = 1 },        -- the identity: facing +z
            player = player.id, name = player.name:sub(1, 16),
            it_seconds = 0, it_time = 0, move = { x = 0, y = 0, z = 0 }, frozen_until = 0,
          })
          drones[#drones + 1] = d
          by_player[player.id] = d
          if not it then make_it(match, d) end
          return true
        end

        function game.leave(match, player)
          local d = by_player[player.id]
          if not d then return end
          by_player[player.id] = nil
          for i = #drones, 1, -1 do
            if drones[i] == d then table.remove(drones, i) end
          end
          match:despawn(d)
          if it == d then make_it(match, drones[1]) end  -- the lowest id takes over (or nobody)
        end

        -- A rotation about the vertical axis that faces the direction (dx, dz).
        local function facing(dx, dz)
          local yaw = math.atan(dx, dz)
          return { x = 0, y = math.sin(yaw / 2), z = 0, w = math.cos(yaw / 2) }
        end

        local function fly(d, dt, now)
          if now < d.frozen_until then return end
          local m = d.move
          local len = math.sqrt(m.x * m.x + m.y * m.y + m.z * m.z)
          if len < 0.01 then return end
          local step = (d == it and IT_SPEED or SPEED) * dt / math.max(len, 1)
          local p = d.pos
          p.x = clamp(p.x + m.x * step, -HALF, HALF)
          p.y = clamp(p.y + m.y * step, 0, HEIGHT)
          p.z = clamp(p.z + m.z * step, -HALF, HALF)
          if m.x ~= 0 or m.z ~= 0 then d.rot = facing(m.x, m.z) end
        end

        function game.tick(match, inputs, dt)
          if final then return end
          for _, d in ipairs(drones) do
            local input = inputs[d.player]              -- absent when the player sent nothing this tick
            if input then d.move = input.move end       -- a new table { x, y, z } each time
            fly(d, dt, match.time)
          end
          if it then
            it.it_time = it.it_time + dt
            it.it_seconds = math.floor(it.it_time)
            if match.time >= it.frozen_until then
              for _, d in ipairs(drones) do
                local a, b = d.pos, it.pos
                if d ~= it and (a.x - b.x) ^ 2 + (a.y - b.y) ^ 2 + (a.z - b.z) ^ 2 < TAG_RADIUS ^ 2 then
                  match:broadcast("tagged", { by = it, target = d })
                  tags = tags + 1
                  make_it(match, d)
                  break
                end
              end
            end
          end
          match.time_left = math.max(0, math.ceil(time_limit - match.time))
          if match.time_left == 0 then
            local best                                   -- least time as "it"; ties go to the lower id
            for _, d in ipairs(drones) do
              if not best or d.it_time < best.it_time then best = d end
            end
            final = { winner = best and best.name, it_seconds = best and best.it_seconds or 0, tags = tags }
          end
        end

        -- nil while the match goes on; the result table ends it.
        function game.result()
          return final
        end

        return game

        """#,
        bot: #"""
        -- A bot for __NAME__: "it" chases the nearest drone; the others fly away
        -- from "it", steering back toward the middle near the walls.
        -- One Lua state serves every bot of a match; each bot's memory is on `me`.

        local function my_drone(view, me)
          local d = me.drone_id and view.byid[me.drone_id]
          if d then return d end
          for _, drone in ipairs(view.drone) do
            if drone.player == me.id then me.drone_id = drone.id; return drone end
          end
        end

        local function nearest(view, d)
          local best, best_d2 = nil, math.huge
          for _, o in ipairs(view.drone) do
            local d2 = (o.pos.x - d.pos.x) ^ 2 + (o.pos.y - d.pos.y) ^ 2 + (o.pos.z - d.pos.z) ^ 2
            if o.id ~= d.id and d2 < best_d2 then best, best_d2 = o, d2 end
          end
          return best
        end

        -- The same direction at length 1 (an input axis holds -1..1).
        local function unit(v)
          local len = math.sqrt(v.x * v.x + v.y * v.y + v.z * v.z)
          if len < 1e-6 then return { x = 0, y = 0, z = 0 } end
          return { x = v.x / len, y = v.y / len, z = v.z / len }
        end

        ---@param view tw.View what this bot sees, as a player would
        ---@param me tw.Me this bot: the same table every tick
        local function think(view, me)
          local d = my_drone(view, me)
          if not d then return nil end                   -- nil: send no input this tick
          local p = d.pos                                -- vec3 fields arrive as { x, y, z }
          if view.match.it == d.id then
            local prey = nearest(view, d)
            if not prey then return { move = { x = 0, y = 0, z = 0 } } end
            return { move = unit({ x = prey.pos.x - p.x, y = prey.pos.y - p.y, z = prey.pos.z - p.z }) }
          end
          local it = view.byid[view.match.it]
          local away = { x = math.random() - 0.5, y = 0, z = math.random() - 0.5 }
          if it then
            away = { x = p.x - it.pos.x, y = p.y - it.pos.y, z = p.z - it.pos.z }
          end
          -- near a wall, head back toward the middle
          if math.abs(p.x) > 40 then away.x = -p.x end
          if math.abs(p.z) > 40 then away.z = -p.z end
          away.y = 10 - p.y
          return { move = unit(away) }
        end

        return { think = think }

        """#
    )
}
