-- Arena bot: hunt the nearest living enemy, lead the shot, keep off the walls.
-- One Lua state serves all bots of a match: per-bot memory lives in `me`.

local atan, sqrt, abs, pi = math.atan, math.sqrt, math.abs, math.pi
local random = math.random

local BULLET_SPEED = 700    -- must match game.lua, used to lead the shot
local WALL = 820            -- closer than this to a wall (|x| or |y|) means "steer inward"
local FIRE_RANGE = 700
local CLOSE = 260           -- stop thrusting when this close, just turn and shoot

-- Angle difference a - b folded into -pi..pi.
local function wrap(d) return (d + pi) % (2 * pi) - pi end

local function find_ship(view, me)
  local s = me.ship_id and view.byid[me.ship_id]
  if s and s.kind == "ship" and s.player == me.id then return s end
  local ships = view.ship
  for i = 1, #ships do
    if ships[i].player == me.id then me.ship_id = ships[i].id; return ships[i] end
  end
end

local function nearest_enemy(view, me, s)
  local best, best_d2 = nil, math.huge
  local ships = view.ship
  for i = 1, #ships do
    local o = ships[i]
    if o.alive and o.player ~= me.id then
      local dx, dy = o.x - s.x, o.y - s.y
      local d2 = dx * dx + dy * dy
      if o.shield then d2 = d2 * 4 end       -- prefer targets we can actually hurt
      if o.id == me.target then d2 = d2 * 0.7 end  -- a little loyalty to the current target
      if d2 < best_d2 then best, best_d2 = o, d2 end
    end
  end
  return best
end

local function think(view, me)
  local s = find_ship(view, me)
  if not s or not s.alive then
    me.target = nil
    return { turn = 0, thrust = false, fire = false }
  end

  -- A little personality, rolled once per bot, and an aim error that drifts.
  if not me.skill then
    me.skill = 0.6 + random() * 0.4          -- 1 = sharp aim, 0.6 = sloppy
    me.jitter_at = 0
  end
  if view.tick >= me.jitter_at then
    me.jitter = (random() - 0.5) * 0.5 * (1.2 - me.skill)
    me.jitter_at = view.tick + random(15, 45)
  end

  local x, y = s.x, s.y
  local tx, ty, dist
  local fire = false
  local enemy = nearest_enemy(view, me, s)
  if enemy then
    me.target = enemy.id
    -- lead: where the enemy will be when a bullet gets there
    local dx, dy = enemy.x - x, enemy.y - y
    dist = sqrt(dx * dx + dy * dy)
    local t = dist / BULLET_SPEED
    tx = enemy.x + ((enemy.vx or 0) - (s.vx or 0)) * t
    ty = enemy.y + ((enemy.vy or 0) - (s.vy or 0)) * t
  else
    -- nobody to fight: wander between random waypoints
    if not me.wx or view.tick >= (me.wander_until or 0) then
      me.wx, me.wy = random(-600, 600), random(-600, 600)
      me.wander_until = view.tick + random(60, 150)
    end
    tx, ty = me.wx, me.wy
    dist = sqrt((tx - x) ^ 2 + (ty - y) ^ 2)
  end

  local want = atan(ty - y, tx - x) + me.jitter
  local diff = wrap(want - s.angle)

  -- Walls: if near one and heading into it, steer for the centre instead.
  local c, sn = math.cos(s.angle), math.sin(s.angle)
  if (x > WALL and c > 0) or (x < -WALL and c < 0) or (y > WALL and sn > 0) or (y < -WALL and sn < 0) then
    diff = wrap(atan(-y, -x) - s.angle)
    me.fleeing = true
  else
    me.fleeing = false
  end

  local turn = 0
  if diff > 0.04 then turn = 1 elseif diff < -0.04 then turn = -1 end

  local thrust = abs(diff) < 1.0 and (dist > CLOSE or me.fleeing)
  if enemy and not me.fleeing then
    fire = abs(diff) < 0.12 + 0.1 * (1 - me.skill) and dist < FIRE_RANGE and not enemy.shield
  end
  -- now and then a random twitch, so bots don't move in lockstep
  if random() < 0.03 then turn = random(-1, 1) end

  return { turn = turn, thrust = thrust, fire = fire }
end

return { think = think }
