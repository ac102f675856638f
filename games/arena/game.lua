-- Arena: up to 16 ships in a walled 2000 x 2000 box. Turn, thrust, shoot.
-- Three hits kill; a kill scores 1. First to the score limit wins, or the
-- leader when the clock runs out (a tie at the top goes to sudden death).
-- Coordinates: x right, y up, angle in radians (0 = +x, turning +1 = counter-clockwise).

local game = { name = "arena", tick_rate = 30, max_players = 16 }

-- Tuning knobs (units: world units, seconds). game.init params may override the first two.
local SCORE_LIMIT   = 10      -- kills to win
local TIME_LIMIT    = 180     -- seconds of match time
local OVERTIME      = 60      -- sudden death at most this long, then a draw
local HALF          = 1000    -- arena spans -HALF..HALF on both axes
local SHIP_RADIUS   = 20
local TURN_RATE     = 4.0     -- rad/s at full turn
local THRUST        = 450     -- acceleration, units/s^2
local DRAG          = 0.9     -- fraction of speed lost per second (roughly)
local MAX_SPEED     = 320
local WALL_BOUNCE   = 0.5     -- speed kept when bouncing off a wall
local MAX_HP        = 3
local FIRE_COOLDOWN = 0.25
local BULLET_SPEED  = 700     -- added to the ship's own velocity
local BULLET_LIFE   = 1.1
local BULLET_RADIUS = 4
local RESPAWN_DELAY = 2.0
local SHIELD_TIME   = 1.5     -- invulnerable after (re)spawning, lost early by firing

-- Phases, as sent in match.phase.
local PLAYING, SUDDEN_DEATH, OVER = 1, 2, 3

game.state = {
  match = { phase = "u8", time_left = "u16" },   -- time_left in whole seconds
  ship = {
    x = { "fixed", -1024, 1024, 1/32 }, y = { "fixed", -1024, 1024, 1/32 },
    vx = { "fixed", -512, 512, 1/16 }, vy = { "fixed", -512, 512, 1/16 },
    angle = { "angle", 10 },
    hp = "u8", score = "u16", deaths = "u16",
    name = { "string", 16 },
    player = "u8",            -- owning player's id
    alive = "bool",
    shield = "bool",          -- true while invulnerable
    thrusting = "bool",       -- for drawing the flame
  },
  bullet = {
    x = { "fixed", -1024, 1024, 1/16 }, y = { "fixed", -1024, 1024, 1/16 },
    vx = { "fixed", -1024, 1024, 1/16 }, vy = { "fixed", -1024, 1024, 1/16 },
    owner = { "entity", "ship" },
  },
}

-- turn: -1 (clockwise) .. 1 (counter-clockwise); larger values count as full turn.
game.input = { turn = "i8", thrust = "bool", fire = "bool" }

game.events = {
  hit   = { target = { "entity", "ship" }, by = { "entity", "ship" }, hp = "u8" },
  kill  = { victim = { "entity", "ship" }, killer = { "entity", "ship" } },
  spawn = { ship = { "entity", "ship" } },
  over  = { winner = "u8" },                 -- winner's player id, 0 for a draw
}

local sqrt, cos, sin, ceil = math.sqrt, math.cos, math.sin, math.ceil
local TWO_PI = 2 * math.pi
local HIT_R2 = (SHIP_RADIUS + BULLET_RADIUS) ^ 2

-- Per-match bookkeeping (each match runs in its own Lua state).
local ships = {}          -- live ship entities, in id order (ships persist while dead)
local by_player = {}      -- player id -> ship
local score_limit, time_limit = SCORE_LIMIT, TIME_LIMIT
local final               -- the result table once the match is over

local function on(v) return v == true or v == 1 end

-- A random spot away from the walls and, if possible, from other living ships.
local function place(match, s)
  local bx, by, best = 0, 0, -1
  for _ = 1, 8 do
    local x, y = match:random(-800, 800), match:random(-800, 800)
    local near = math.huge
    for i = 1, #ships do
      local o = ships[i]
      if o ~= s and o.alive then
        local dx, dy = o.x - x, o.y - y
        local d2 = dx * dx + dy * dy
        if d2 < near then near = d2 end
      end
    end
    if near > best then bx, by, best = x, y, near end
    if near > 400 * 400 then break end
  end
  s.x, s.y, s.vx, s.vy = bx, by, 0, 0
  s.angle = match:random() * TWO_PI
end

local function respawn(match, s)
  place(match, s)
  s.hp, s.alive, s.shield, s.thrusting = MAX_HP, true, true, false
  s.shield_left, s.cooldown = SHIELD_TIME, 0
  match:broadcast("spawn", { ship = s })
end

function game.init(match, params)
  score_limit = tonumber(params.score_limit) or SCORE_LIMIT
  time_limit = tonumber(params.time_limit) or TIME_LIMIT
  match.phase, match.time_left = PLAYING, time_limit
end

function game.join(match, player)
  if match.phase == OVER then return false, "the match is over" end
  if by_player[player.id] then return false, "seat already taken" end
  local s = match:spawn("ship", {
    name = player.name:sub(1, 16), player = player.id, score = 0, deaths = 0,
    turn = 0, thrust = false, fire = false,   -- last controls (not sent)
  })
  ships[#ships + 1] = s                      -- newest id, so the list stays in id order
  by_player[player.id] = s
  respawn(match, s)
  return true
end

function game.leave(match, player)
  local s = by_player[player.id]
  if not s then return end
  by_player[player.id] = nil
  for i = 1, #ships do
    if ships[i] == s then table.remove(ships, i) break end
  end
  for b in match:each("bullet") do            -- their bullets vanish with them
    if b.owner == s then match:despawn(b) end
  end
  match:despawn(s)
end

-- Players sorted by score (highest first), then by id.
local function standings()
  local list = {}
  for i = 1, #ships do
    local s = ships[i]
    list[#list + 1] = { id = s.player, name = s.name, score = s.score, deaths = s.deaths }
  end
  table.sort(list, function(a, b)
    if a.score ~= b.score then return a.score > b.score end
    return a.id < b.id
  end)
  return list
end

local function finish(match)
  local scores = standings()
  local top, second = scores[1], scores[2]
  local winner = top and (not second or top.score > second.score) and top or nil
  final = { scores = scores, winner = winner and winner.name, winner_id = winner and winner.id,
            draw = winner == nil, ticks = match.tick }
  match.phase = OVER
  match:broadcast("over", { winner = winner and winner.id or 0 })
end

local function move_ship(match, s, dt)
  -- controls: keep the last ones received
  local turn = s.turn
  if turn > 1 then turn = 1 elseif turn < -1 then turn = -1 end
  local a = (s.angle + turn * TURN_RATE * dt) % TWO_PI
  s.angle = a
  local vx, vy = s.vx, s.vy
  local thrusting = s.thrust
  if thrusting then
    vx, vy = vx + cos(a) * THRUST * dt, vy + sin(a) * THRUST * dt
  end
  local keep = 1 - DRAG * dt
  vx, vy = vx * keep, vy * keep
  local v2 = vx * vx + vy * vy
  if v2 > MAX_SPEED * MAX_SPEED then
    local k = MAX_SPEED / sqrt(v2)
    vx, vy = vx * k, vy * k
  end
  -- walls: clamp and bounce
  local x, y, lim = s.x + vx * dt, s.y + vy * dt, HALF - SHIP_RADIUS
  if x > lim then x, vx = lim, -vx * WALL_BOUNCE elseif x < -lim then x, vx = -lim, -vx * WALL_BOUNCE end
  if y > lim then y, vy = lim, -vy * WALL_BOUNCE elseif y < -lim then y, vy = -lim, -vy * WALL_BOUNCE end
  s.x, s.y, s.vx, s.vy, s.thrusting = x, y, vx, vy, thrusting

  if s.shield then
    s.shield_left = s.shield_left - dt
    if s.shield_left <= 0 then s.shield = false end
  end
  -- fire
  local cd = s.cooldown - dt
  if s.fire and cd <= 0 then
    cd = FIRE_COOLDOWN
    s.shield = false                           -- shooting drops the spawn shield
    local c, sn = cos(a), sin(a)
    local r = SHIP_RADIUS + BULLET_RADIUS + 1
    match:spawn("bullet", {
      x = x + c * r, y = y + sn * r,
      vx = vx + c * BULLET_SPEED, vy = vy + sn * BULLET_SPEED,
      owner = s, life = BULLET_LIFE,
    })
  end
  s.cooldown = cd
end

-- Returns true if the bullet hit a ship.
local function collide(match, b, bx, by)
  local owner = b.owner
  for i = 1, #ships do
    local s = ships[i]
    if s.alive and s ~= owner then
      local dx, dy = s.x - bx, s.y - by
      if dx * dx + dy * dy <= HIT_R2 then
        if not s.shield then
          s.hp = s.hp - 1
          match:broadcast("hit", { target = s, by = owner, hp = s.hp })
          if s.hp <= 0 then
            s.alive, s.shield, s.thrusting = false, false, false
            s.vx, s.vy = 0, 0
            s.deaths, s.respawn_in = s.deaths + 1, RESPAWN_DELAY
            owner.score = owner.score + 1
            match:broadcast("kill", { victim = s, killer = owner })
          end
        end
        return true                            -- shields still stop bullets
      end
    end
  end
  return false
end

function game.tick(match, inputs, dt)
  if match.phase == OVER then return end
  -- 1. take new controls
  for i = 1, #ships do
    local s = ships[i]
    local inp = inputs[s.player]
    if inp then
      s.turn = tonumber(inp.turn) or 0
      s.thrust, s.fire = on(inp.thrust), on(inp.fire)
    end
  end
  -- 2. move ships, fire, count down respawns
  for i = 1, #ships do
    local s = ships[i]
    if s.alive then
      move_ship(match, s, dt)
    else
      s.respawn_in = s.respawn_in - dt
      if s.respawn_in <= 0 then respawn(match, s) end
    end
  end
  -- 3. move bullets, expire them, hit ships
  for b in match:each("bullet") do
    local life = b.life - dt
    local x, y = b.x + b.vx * dt, b.y + b.vy * dt
    if life <= 0 or x < -HALF or x > HALF or y < -HALF or y > HALF then
      match:despawn(b)
    elseif collide(match, b, x, y) then
      match:despawn(b)
    else
      b.x, b.y, b.life = x, y, life
    end
  end
  -- 4. clock and end conditions
  local left = time_limit - match.time
  match.time_left = left > 0 and ceil(left) or 0
  local best, tied = -1, false
  for i = 1, #ships do
    local sc = ships[i].score
    if sc > best then best, tied = sc, false elseif sc == best then tied = true end
  end
  if best >= score_limit then
    finish(match)
  elseif left <= 0 then
    if not tied or left <= -OVERTIME then finish(match)
    else match.phase = SUDDEN_DEATH end        -- next kill that breaks the tie wins
  end
end

-- nil while playing; once over: { winner, winner_id, draw, ticks, scores = { {id, name, score, deaths}, ... } }
function game.result(match)
  return final
end

return game
