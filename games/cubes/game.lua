-- cubes: Glenn Fiedler's "Snapshot Compression" benchmark scene. A 30 x 30
-- grid of 1 m cubes rests on the ground; one larger player cube slides
-- through it, and every cube it touches is knocked away, tumbles, bounces
-- and comes to rest again. A resting cube is not written at all, so it
-- costs nothing on the wire: what a tick sends is what moved.
--
-- The quantization is Fiedler's: a position in 18 + 18 + 14 bits (1/512 m
-- over -256..256 across, 0..32 up), an orientation as the smallest three
-- components in 2 + 3 x 9 bits, and one bit `interacting`: 80 bits a cube.
--
-- Coordinates: z up, metres, seconds. The grid lies around the origin.
--
-- Parameters (`--param key=value`, or `params` of POST /matches):
--   drift   1 (or true): every cube drifts and spins slowly, all the time,
--           so every cube is written every tick (the worst case)

---@type tw.Game
local game = { name = "cubes", tick_rate = 60, max_players = 1 }

-- The scene.
local GRID         = 30        -- cubes along each side of the grid
local SPACING      = 1.5       -- metres between neighbouring cube centres
local HALF         = 0.5       -- half the side of a grid cube
local PLAYER_HALF  = 1.0       -- half the side of the player cube
local SPEED        = 7         -- the player cube's speed, m/s

-- The player cube's sweep when nobody steers it: back and forth along
-- SWEEP_ROWS rows across the grid, then back the same way (about 63 s a pass).
local SWEEP_X      = 25        -- each row runs from -SWEEP_X to SWEEP_X
local SWEEP_ROWS   = 8

-- Physics (metres, seconds, radians).
local GRAVITY      = 9.8
local RESTITUTION  = 0.3       -- vertical speed kept by a bounce on the ground
local FRICTION     = 0.6       -- on the ground, sliding slows by FRICTION * GRAVITY m/s^2
local LINEAR_DAMP  = 0.2       -- fraction of speed lost per second, always
local ANGULAR_DAMP = 0.5       -- fraction of spin lost per second in the air
local GROUND_SPIN  = 4         -- ... and on the ground
local SETTLE       = 8         -- on the ground a cube turns to lie on a face (1/s)
local KNOCK        = 4         -- m/s away from the player cube, on top of its own speed
local LIFT_MIN, LIFT_MAX = 2, 4.5   -- m/s upward when knocked
local SPIN_MIN, SPIN_MAX = 3, 8     -- rad/s of tumble when knocked
local CONTACT      = 1.1       -- two grid cubes closer than this (centres) collide ...
local MIN_CLOSING  = 0.1       -- ... when closing in faster than this, m/s
local SIDE         = 2 * HALF  -- and closer than this are set apart
local REST_SPEED   = 0.3       -- on the ground, slower than this ...
local REST_SPIN    = 0.6       -- ... and spinning slower than this, a cube rests
local REST_AFTER   = 4         -- seconds on the ground after which a cube rests anyway
local LIMIT        = 250       -- centres stay within -LIMIT..LIMIT across
local TOP          = 31        -- and below this height

-- The drift variant.
local DRIFT_BOUND  = 22.5      -- cubes drift within -DRIFT_BOUND..DRIFT_BOUND
local DRIFT_MIN, DRIFT_MAX = 0.25, 1      -- m/s; at least 0.25 so every cube moves
                                          -- more than one 1/512 m step a tick
local DRIFT_SPIN_MIN, DRIFT_SPIN_MAX = 0.1, 0.5   -- rad/s

game.state = {
  -- The cube the player (or the sweep) drives: the first one spawned.
  match = { player_cube = { "entity", "cube" } },
  cube = {
    position = { "vec3", { -256, 256 - 1/512, 1/512 }, { -256, 256 - 1/512, 1/512 }, { 0, 32 - 1/512, 1/512 } },
    orientation = { "quat", 9 },
    interacting = "bool",      -- touched by the player cube, or moving because of it
  },
}

-- Where to steer the player cube: a direction (any length; the cube always
-- slides at full speed), or 0, 0 to stop.
game.input = { dx = "i8", dy = "i8" }

local sqrt, abs, floor, min, max = math.sqrt, math.abs, math.floor, math.min, math.max
local sin, cos, atan, acos, pi = math.sin, math.cos, math.atan, math.acos, math.pi

-- Collision grid over the whole declared range: cells of CELL metres (wider
-- than a contact, so one looks in at most 2 x 2 cells), keyed cy * COLS + cx.
-- `c.cell` is a cube's cell, `c.slot` its place in the cell's list.
local CELL, COLS, OFFSET = 2.5, 208, 104

local player                  -- the player cube
local cells = {}              -- cell key -> array of grid cubes in it
local awake = {}              -- moving grid cubes; `c.awake` is the index here
local drift = false
local steer                   -- the player's last input, nil: follow the sweep
local leg, leg_step = 1, 1    -- the sweep's next waypoint (0-based) and direction

local function cell_key(x, y)
  return (floor(y / CELL) + OFFSET) * COLS + floor(x / CELL) + OFFSET
end

local function put_in_cell(c, key)
  local list = cells[key]
  if not list then list = {}; cells[key] = list end
  list[#list + 1] = c
  c.cell, c.slot = key, #list
end

-- Moves c to the cell of its position, if it left its own.
local function refile(c)
  local p = c.position
  local key = cell_key(p.x, p.y)
  if key == c.cell then return end
  local list = cells[c.cell]
  local last = list[#list]
  list[c.slot], last.slot = last, c.slot
  list[#list] = nil
  put_in_cell(c, key)
end

local function wake(c)
  if not c.awake then
    awake[#awake + 1] = c
    c.awake = #awake
    c.ground_time = 0
  end
  c.interacting = true
end

local function sleep(c)
  local i = c.awake
  local last = awake[#awake]
  awake[i], last.awake = last, i
  awake[#awake] = nil
  c.awake = nil
  c.interacting = false
end

-- A random unit vector, from the match's seeded generator.
local function random_axis(match)
  local z = 2 * match:random() - 1
  local a = 2 * pi * match:random()
  local r = sqrt(1 - z * z)
  return r * cos(a), r * sin(a), z
end

-- q += 0.5 * (w, 0) * q * dt (w in world axes), then normalize.
local function turn(q, wx, wy, wz, dt)
  local x, y, z, w = q.x, q.y, q.z, q.w
  local h = 0.5 * dt
  local nx = x + h * (w * wx + wy * z - wz * y)
  local ny = y + h * (w * wy + wz * x - wx * z)
  local nz = z + h * (w * wz + wx * y - wy * x)
  local nw = w - h * (wx * x + wy * y + wz * z)
  local n = 1 / sqrt(nx * nx + ny * ny + nz * nz + nw * nw)
  q.x, q.y, q.z, q.w = nx * n, ny * n, nz * n, nw * n
end

-- The cube's axis nearest to straight up, in world axes (ux, uy, uz with
-- uz > 0), and how far the cube reaches below its centre.
local function up_axis(q)
  local x, y, z, w = q.x, q.y, q.z, q.w
  local ax, ay, az = 2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)
  local reach = HALF * (abs(ax) + abs(ay) + abs(az))
  local ux, uy, uz
  if abs(ax) >= abs(ay) and abs(ax) >= abs(az) then
    ux, uy, uz = 1 - 2 * (y * y + z * z), 2 * (x * y + z * w), ax
  elseif abs(ay) >= abs(az) then
    ux, uy, uz = 2 * (x * y - z * w), 1 - 2 * (x * x + z * z), ay
  else
    ux, uy, uz = 2 * (x * z + y * w), 2 * (y * z - x * w), az
  end
  if uz < 0 then ux, uy, uz = -ux, -uy, -uz end
  return ux, uy, uz, reach
end

-- Turns q so that its axis nearest to up points straight up.
local function lay_flat(q)
  local ux, uy, uz = up_axis(q)
  local s = sqrt(ux * ux + uy * uy)
  if s < 1e-9 then return end
  local half = 0.5 * acos(min(1, uz))
  local k = sin(half) / s                    -- rotation axis (uy, -ux, 0) / s
  local rx, ry, rw = uy * k, -ux * k, cos(half)
  local x, y, z, w = q.x, q.y, q.z, q.w      -- q = r * q, r = (rx, ry, 0, rw)
  q.x = rw * x + rx * w + ry * z
  q.y = rw * y + ry * w - rx * z
  q.z = rw * z + rx * y - ry * x
  q.w = rw * w - rx * x - ry * y
end

-- A yaw about z as a quaternion.
local function yaw(a) return { x = 0, y = 0, z = sin(a / 2), w = cos(a / 2) } end

local function clamp(v, lo, hi) return v < lo and lo or (v > hi and hi or v) end

-- The sweep's waypoint i (0-based): rows from -y0 to y0, each run in the
-- other direction than the one before.
local ROW_Y = (GRID - 1) / 2 * SPACING
local function waypoint(i)
  local row = i // 2
  local y = -ROW_Y + row * (2 * ROW_Y / (SWEEP_ROWS - 1))
  local side = row % 2 == 0 and -1 or 1
  return (i % 2 == 0 and side or -side) * SWEEP_X, y
end

local function next_leg()
  local n = leg + leg_step
  if n < 0 or n > 2 * SWEEP_ROWS - 1 then
    leg_step = -leg_step
    n = leg + leg_step
  end
  leg = n
end

function game.init(match, params)
  local d = params.drift
  drift = d == true or (tonumber(d) or 0) ~= 0
  local sx, sy = waypoint(0)
  if drift then sx = clamp(sx, -DRIFT_BOUND, DRIFT_BOUND) end
  player = match:spawn("cube", {
    position = { x = sx, y = sy, z = PLAYER_HALF },
    orientation = yaw(0), interacting = false,
    vx = 0, vy = 0, vz = 0, wx = 0, wy = 0, wz = 0,   -- velocity and spin (not sent)
  })
  match.player_cube = player
  local first = -(GRID - 1) / 2 * SPACING
  for j = 0, GRID - 1 do
    for i = 0, GRID - 1 do
      local c = match:spawn("cube", {
        position = { x = first + i * SPACING, y = first + j * SPACING, z = HALF },
        orientation = yaw(0), interacting = false,
        vx = 0, vy = 0, vz = 0, wx = 0, wy = 0, wz = 0,
      })
      put_in_cell(c, cell_key(c.position.x, c.position.y))
    end
  end
  if drift then
    for c in match:each("cube") do
      local speed = DRIFT_MIN + (DRIFT_MAX - DRIFT_MIN) * match:random()
      local a = 2 * pi * match:random()
      c.vx, c.vy = speed * cos(a), speed * sin(a)
      local rate = DRIFT_SPIN_MIN + (DRIFT_SPIN_MAX - DRIFT_SPIN_MIN) * match:random()
      local ax, ay, az = random_axis(match)
      c.wx, c.wy, c.wz = ax * rate, ay * rate, az * rate
    end
  end
end

function game.join()
  steer = nil                     -- the sweep drives until the first input
  return true
end

function game.leave()
  steer = nil
end

-- The player cube's velocity for this tick: the player's input, or the sweep.
local function player_velocity(dt)
  local p = player.position
  if steer then
    local dx, dy = steer.dx, steer.dy
    local len = sqrt(dx * dx + dy * dy)
    if len == 0 then return 0, 0 end
    return dx / len * SPEED, dy / len * SPEED
  end
  local tx, ty = waypoint(leg)
  local dx, dy = tx - p.x, ty - p.y
  local d = sqrt(dx * dx + dy * dy)
  if d <= SPEED * dt then
    next_leg()
    return dx / dt, dy / dt                  -- lands on the waypoint this tick
  end
  return dx / d * SPEED, dy / d * SPEED
end

local function move_player(dt)
  local vx, vy = player_velocity(dt)
  local p = player.position
  p.x, p.y = clamp(p.x + vx * dt, -LIMIT, LIMIT), clamp(p.y + vy * dt, -LIMIT, LIMIT)
  player.vx, player.vy = vx, vy
  local moving = vx ~= 0 or vy ~= 0
  player.interacting = moving
  if moving then
    local a = atan(vy, vx)
    if a ~= player.heading then player.heading, player.orientation = a, yaw(a) end
  end
end

-- Knocks every grid cube the player cube touches away from it, up, and
-- spinning, unless it is already leaving fast enough.
local function knock(match)
  local p = player.position
  local reach = PLAYER_HALF + HALF + 0.05
  local pvx, pvy = player.vx, player.vy
  local hit = {}
  for cy = floor((p.y - reach) / CELL), floor((p.y + reach) / CELL) do
    for cx = floor((p.x - reach) / CELL), floor((p.x + reach) / CELL) do
      local list = cells[(cy + OFFSET) * COLS + cx + OFFSET]
      if list then
        for i = 1, #list do
          local c = list[i]
          local q = c.position
          if abs(q.x - p.x) < reach and abs(q.y - p.y) < reach and abs(q.z - p.z) < reach then
            hit[#hit + 1] = c
          end
        end
      end
    end
  end
  table.sort(hit, function(a, b) return a.id < b.id end)
  for i = 1, #hit do
    local c = hit[i]
    local q = c.position
    local nx, ny = q.x - p.x, q.y - p.y
    local d = sqrt(nx * nx + ny * ny)
    if d < 1e-6 then nx, ny, d = pvx, pvy, sqrt(pvx * pvx + pvy * pvy) end
    if d > 1e-6 then
      nx, ny = nx / d, ny / d
      local along = max(0, pvx * nx + pvy * ny)
      if c.vx * nx + c.vy * ny < along + 1 then
        local away = KNOCK + along
        c.vx, c.vy = nx * away, ny * away
        c.vz = LIFT_MIN + (LIFT_MAX - LIFT_MIN) * match:random()
        local ax, ay, az = random_axis(match)
        local rate = SPIN_MIN + (SPIN_MAX - SPIN_MIN) * match:random()
        c.wx, c.wy, c.wz = ax * rate, ay * rate, az * rate
      end
    end
    wake(c)
  end
end

-- Moving cubes collide with the cubes level with them (one falling on
-- another slides off its side). A pair closing in nearer than CONTACT
-- trades an impulse along the line between their centres (restitution
-- RESTITUTION); a pair nearer than SIDE is set apart, so cubes do not come
-- to rest inside each other. Two moving cubes are met once, from the lower
-- id; a cube at rest that is hit or set apart wakes.
local function shove(match)
  local from, to, n = {}, {}, 0      -- the pairs in contact
  for i = 1, #awake do
    local a = awake[i]
    local p = a.position
    local x, y, z = p.x, p.y, p.z
    for cy = floor((y - CONTACT) / CELL), floor((y + CONTACT) / CELL) do
      for cx = floor((x - CONTACT) / CELL), floor((x + CONTACT) / CELL) do
        local list = cells[(cy + OFFSET) * COLS + cx + OFFSET]
        if list then
          for k = 1, #list do
            local b = list[k]
            local q = b.position
            local dx, dy = q.x - x, q.y - y
            if dx * dx + dy * dy < CONTACT * CONTACT and b ~= a and abs(q.z - z) < 0.8
                and not (b.awake and b.id < a.id) then
              n = n + 1
              from[n], to[n] = a, b
            end
          end
        end
      end
    end
  end
  for i = 1, n do
    local a, b = from[i], to[i]
    local p, q = a.position, b.position
    local dx, dy = q.x - p.x, q.y - p.y
    local d = sqrt(dx * dx + dy * dy)
    local nx, ny = 1, 0
    if d > 1e-6 then nx, ny = dx / d, dy / d end
    local closing = (a.vx - b.vx) * nx + (a.vy - b.vy) * ny
    local hit = closing > MIN_CLOSING
    if hit or d < SIDE then
      if hit then
        local j = 0.5 * (1 + RESTITUTION) * closing
        a.vx, a.vy = a.vx - j * nx, a.vy - j * ny
        b.vx, b.vy = b.vx + j * nx, b.vy + j * ny
        if not b.awake then
          local ax, ay, az = random_axis(match)
          b.wx, b.wy, b.wz = ax * j, ay * j, az * j
        end
      end
      wake(b)
      if d < SIDE then
        local apart = 0.5 * (SIDE - d)
        p.x, p.y = p.x - apart * nx, p.y - apart * ny
        q.x, q.y = q.x + apart * nx, q.y + apart * ny
        refile(a)
        refile(b)
      end
    end
  end
end

-- One step of a moving cube: gravity, damping, the ground (bounce,
-- friction, settling onto a face), the spin. Returns whether it has come
-- to rest.
local function integrate(c, dt)
  local p = c.position
  local vx, vy, vz = c.vx, c.vy, c.vz - GRAVITY * dt
  local damp = 1 - LINEAR_DAMP * dt
  vx, vy, vz = vx * damp, vy * damp, vz * damp
  local x, y, z = p.x + vx * dt, p.y + vy * dt, p.z + vz * dt
  if x < -LIMIT or x > LIMIT then x, vx = clamp(x, -LIMIT, LIMIT), 0 end
  if y < -LIMIT or y > LIMIT then y, vy = clamp(y, -LIMIT, LIMIT), 0 end
  if z > TOP then z, vz = TOP, 0 end
  local wx, wy, wz = c.wx, c.wy, c.wz
  local ux, uy, uz, reach = up_axis(c.orientation)
  if z <= reach then
    z = reach
    if vz < 0 then vz = -vz * RESTITUTION end
    if vz < 0.5 then vz = 0 end
    local speed = sqrt(vx * vx + vy * vy)
    local slow = FRICTION * GRAVITY * dt
    local k = speed > slow and (speed - slow) / speed or 0
    vx, vy = vx * k, vy * k
    local grip = min(1, GROUND_SPIN * 2 * dt)  -- spin towards lying on a face
    wx = wx + (SETTLE * uy - wx) * grip
    wy = wy + (-SETTLE * ux - wy) * grip
    wz = wz * (1 - GROUND_SPIN * dt)
    c.ground_time = c.ground_time + dt
  else
    local spin = 1 - ANGULAR_DAMP * dt
    wx, wy, wz = wx * spin, wy * spin, wz * spin
    c.ground_time = 0
  end
  p.x, p.y, p.z = x, y, z
  c.vx, c.vy, c.vz, c.wx, c.wy, c.wz = vx, vy, vz, wx, wy, wz
  turn(c.orientation, wx, wy, wz, dt)
  refile(c)
  if c.ground_time == 0 then return false end
  return c.ground_time >= REST_AFTER
    or (vx * vx + vy * vy + vz * vz < REST_SPEED * REST_SPEED
        and wx * wx + wy * wy + wz * wz < REST_SPIN * REST_SPIN and uz > 0.998)
end

local function rest(c)
  lay_flat(c.orientation)
  c.position.z = HALF
  c.vx, c.vy, c.vz, c.wx, c.wy, c.wz = 0, 0, 0, 0, 0, 0
  sleep(c)
end

-- The drift variant: every cube slides at its own constant speed, turning
-- back off the bounds, and spins at its own constant rate.
local function drift_all(match, dt)
  for c in match:each("cube") do
    local p = c.position
    local x, y = p.x + c.vx * dt, p.y + c.vy * dt
    if x < -DRIFT_BOUND or x > DRIFT_BOUND then c.vx = -c.vx; x = p.x + c.vx * dt end
    if y < -DRIFT_BOUND or y > DRIFT_BOUND then c.vy = -c.vy; y = p.y + c.vy * dt end
    p.x, p.y = x, y
    turn(c.orientation, c.wx, c.wy, c.wz, dt)
  end
end

function game.tick(match, inputs, dt)
  if drift then return drift_all(match, dt) end
  local input = inputs[1]
  if input then
    steer = { dx = tonumber(input.dx) or 0, dy = tonumber(input.dy) or 0 }
  end
  move_player(dt)
  knock(match)
  shove(match)
  for i = #awake, 1, -1 do                 -- backwards: a cube at rest swaps in the last one
    local c = awake[i]
    if integrate(c, dt) then rest(c) end
  end
end

return game
