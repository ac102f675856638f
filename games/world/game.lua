-- world: a big .io-style world for up to 200 players in one match. Each
-- player is a blob on an 8000 x 8000 map scattered with food pellets. Blobs
-- eat the pellets they cover and the blobs they are at least 25% heavier
-- than; an eaten player starts again somewhere else, small. Heavier blobs
-- are bigger and slower, and slowly lose mass.
--
-- The map is far larger than a view: each player is sent only what lies
-- within VIEW units of their blob (game.interest), plus the leaderboard,
-- which everyone sees wherever they are. So 200 players and thousands of
-- pellets cost each player a few dozen entities a tick.
--
-- Coordinates: x right, y up, from 0 to match.size on both axes.
--
-- Parameters (`--param key=value`, or `params` of POST /matches):
--   size   side of the map in units (default 8000, 1000 to 8192)
--   food   pellets on the map (default 3000, 0 to 3600)

---@type tw.Game
local game = { name = "world", tick_rate = 25, max_players = 200 }

-- Tuning (units: world units, seconds, mass).
local SIZE        = 8000      -- default side of the map
local FOOD        = 3000      -- default number of pellets
local VIEW        = 600       -- how far a player sees from their blob's centre
local START_MASS  = 10
local MAX_MASS    = 2500
local FOOD_MASS   = 1
local EAT_RATIO   = 1.25      -- a blob eats another at least this much heavier ...
local EAT_DEPTH   = 0.4       -- ... whose centre is this far (in its radii) inside it
local BASE_SPEED  = 300       -- units/s of a START_MASS blob
local BOOST       = 1.8       -- speed factor while boosting
local BOOST_COST  = 0.03      -- fraction of mass lost per second of boost
local BOOST_MIN   = 20        -- no boost below this mass
local DECAY       = 0.004     -- fraction of mass above START_MASS lost per second
local LEADERS     = 5         -- rows of the leaderboard
local BOARD_EVERY = 5         -- ticks between leaderboard (and rank) updates
local CELL        = 128       -- side of a collision grid cell

game.state = {
  -- size: side of the map; blobs: players in the match.
  match = { size = "u16", blobs = "u8" },
  blob = {
    x = { "fixed", 0, 8192, 1/8 }, y = { "fixed", 0, 8192, 1/8 },
    r = { "fixed", 0, 512, 1/16 },              -- radius, from the mass
    mass = "u16",
    name = { "string", 16 },
    owner = "u8",                               -- the player's id
    boosting = "bool",
    rank = { "u8", private = true },            -- place on the board; only the owner is sent it
  },
  food = { x = { "fixed", 0, 8192, 1/4 }, y = { "fixed", 0, 8192, 1/4 } },
  -- The leaderboard: LEADERS rows, rank 1 first; a row with player 0 is empty.
  leader = { rank = "u8", player = "u8", name = { "string", 16 }, mass = "u16" },
}

-- Each player sees what lies within VIEW of their blob ...
game.interest = { radius = VIEW, from = "blob" }
-- ... and the leaderboard wherever they are.
game.visible = { leader = "everyone" }

-- dx, dy: where to go, as a vector of length up to 127 (longer is cut to
-- 127); its length is the fraction of full speed. boost: go faster, at a
-- cost in mass.
game.input = { dx = "i8", dy = "i8", boost = "bool" }

-- Private: to the eaten player (with who ate them) and to the eater.
game.events = {
  eaten = { by = { "string", 16 }, mass = "u16" },  -- the mass you had
  ate   = { name = { "string", 16 }, mass = "u16" },  -- the mass you gained
}

local sqrt, floor, min, max = math.sqrt, math.floor, math.min, math.max

local size = SIZE
local cols                    -- grid cells along one side
local blobs = {}              -- live blobs, in id order
local by_player = {}          -- player id -> blob
local food_cells = {}         -- cell index -> array of pellets in it
local food_count = FOOD
local leaders = {}            -- the LEADERS leader entities, rank order

local function radius(mass) return 5 * sqrt(mass) end

local function cell_of(x, y)
  local cx, cy = floor(x / CELL), floor(y / CELL)
  if cx >= cols then cx = cols - 1 end
  if cy >= cols then cy = cols - 1 end
  return cy * cols + cx
end

-- Pellets sit in the grid cell of their position; `p.slot` is their place
-- in the cell's array, so removal is a swap with the last.
local function drop_food(match)
  local x, y = match:random() * size, match:random() * size
  local p = match:spawn("food", { x = x, y = y })
  local c = cell_of(x, y)
  local list = food_cells[c]
  if not list then list = {}; food_cells[c] = list end
  list[#list + 1] = p
  p.cell, p.slot = c, #list
end

local function take_food(match, p)
  local list = food_cells[p.cell]
  local last = list[#list]
  list[p.slot], last.slot = last, p.slot
  list[#list] = nil
  match:despawn(p)
end

-- Cells overlapping the square around (x, y) of half-side `reach`.
local function cell_range(x, y, reach)
  local x0, x1 = max(0, floor((x - reach) / CELL)), min(cols - 1, floor((x + reach) / CELL))
  local y0, y1 = max(0, floor((y - reach) / CELL)), min(cols - 1, floor((y + reach) / CELL))
  return x0, x1, y0, y1
end

local function set_mass(b, mass)
  mass = min(MAX_MASS, max(START_MASS, mass))
  b.m, b.mass, b.r = mass, floor(mass + 0.5), radius(mass)
end

-- A random spot with no blob within 400 units, if 8 tries find one; else
-- the try farthest from any blob. Uses the blob grid of the current tick.
local function place(match, blob_cells)
  local bx, by, best = 0, 0, -1
  for _ = 1, 8 do
    local x, y = 50 + match:random() * (size - 100), 50 + match:random() * (size - 100)
    local near = math.huge
    local x0, x1, y0, y1 = cell_range(x, y, 400)
    for cy = y0, y1 do
      for cx = x0, x1 do
        local list = blob_cells[cy * cols + cx]
        if list then
          for i = 1, #list do
            local o = list[i]
            local d2 = (o.x - x) ^ 2 + (o.y - y) ^ 2
            if d2 < near then near = d2 end
          end
        end
      end
    end
    if near > best then bx, by, best = x, y, near end
    if near == math.huge then break end
  end
  return bx, by
end

-- Blobs by cell, built for one tick.
local function blob_grid()
  local cells = {}
  for i = 1, #blobs do
    local b = blobs[i]
    local c = cell_of(b.x, b.y)
    local list = cells[c]
    if not list then list = {}; cells[c] = list end
    list[#list + 1] = b
  end
  return cells
end

local function new_blob(match, player, cells)
  local x, y = place(match, cells)
  local b = match:spawn("blob", {
    x = x, y = y, name = player.name:sub(1, 16), owner = player.id, boosting = false, rank = 0,
    dx = 0, dy = 0, boost = false,              -- last input (not sent)
  })
  set_mass(b, START_MASS)
  blobs[#blobs + 1] = b                         -- newest id: the list stays in id order
  by_player[player.id] = b
  return b
end

local function remove_blob(match, b)
  for i = 1, #blobs do
    if blobs[i] == b then table.remove(blobs, i) break end
  end
  if by_player[b.owner] == b then by_player[b.owner] = nil end
  match:despawn(b)
end

function game.init(match, params)
  size = max(1000, min(8192, floor(tonumber(params.size) or SIZE)))
  food_count = max(0, min(3600, floor(tonumber(params.food) or FOOD)))
  cols = math.ceil(size / CELL)
  match.size, match.blobs = size, 0
  for _ = 1, food_count do drop_food(match) end
  for i = 1, LEADERS do
    leaders[i] = match:spawn("leader", { rank = i, player = 0, name = "", mass = 0 })
  end
end

function game.join(match, player)
  if by_player[player.id] then return false, "seat already taken" end
  new_blob(match, player, blob_grid())
  match.blobs = #blobs
  return true
end

function game.leave(match, player)
  local b = by_player[player.id]
  if b then remove_blob(match, b) end
  match.blobs = #blobs
end

local function steer(b, dt)
  local dx, dy = b.dx, b.dy
  local len = sqrt(dx * dx + dy * dy)
  local m = b.m
  local boosting = b.boost and m > BOOST_MIN and len > 0
  b.boosting = boosting
  local speed = BASE_SPEED * (START_MASS / m) ^ 0.2 * min(1, len / 127)
  if boosting then
    speed = speed * BOOST
    m = m - m * BOOST_COST * dt
  end
  if m > START_MASS then m = m - (m - START_MASS) * DECAY * dt end
  set_mass(b, m)
  if len == 0 then return end
  local r = b.r
  local lim = size - r
  local x, y = b.x + dx / len * speed * dt, b.y + dy / len * speed * dt
  b.x = x < r and r or (x > lim and lim or x)
  b.y = y < r and r or (y > lim and lim or y)
end

-- Pellets whose centre is inside b. Returns how many.
local function graze(match, b)
  local x, y, r = b.x, b.y, b.r
  local r2, eaten = r * r, 0
  local x0, x1, y0, y1 = cell_range(x, y, r)
  for cy = y0, y1 do
    for cx = x0, x1 do
      local list = food_cells[cy * cols + cx]
      if list then
        local i = 1
        while i <= #list do
          local p = list[i]
          if (p.x - x) ^ 2 + (p.y - y) ^ 2 < r2 then
            take_food(match, p)                 -- the last one moves into slot i
            eaten = eaten + 1
          else
            i = i + 1
          end
        end
      end
    end
  end
  return eaten
end

-- The blobs b eats this tick, from the grid (not yet eaten ones only).
local function hunt(match, b, cells, eaten)
  local x, y, r, m = b.x, b.y, b.r, b.m
  local x0, x1, y0, y1 = cell_range(x, y, r)
  for cy = y0, y1 do
    for cx = x0, x1 do
      local list = cells[cy * cols + cx]
      if list then
        for i = 1, #list do
          local o = list[i]
          if o ~= b and not o.eaten and m >= EAT_RATIO * o.m then
            local reach = r - EAT_DEPTH * o.r
            if (o.x - x) ^ 2 + (o.y - y) ^ 2 < reach * reach then
              o.eaten = true
              eaten[#eaten + 1] = o
              m = m + o.m
              match:send(b.owner, "ate", { name = o.name, mass = o.mass })
              match:send(o.owner, "eaten", { by = b.name, mass = o.mass })
            end
          end
        end
      end
    end
  end
  return m
end

-- The board's rows and every blob's rank: heaviest first, ties by id.
local function rank(match)
  local order = {}
  for i = 1, #blobs do order[i] = blobs[i] end
  table.sort(order, function(a, b)
    if a.m ~= b.m then return a.m > b.m end
    return a.id < b.id
  end)
  for i = 1, #order do order[i].rank = min(255, i) end
  for i = 1, LEADERS do
    local row, b = leaders[i], order[i]
    row.player, row.name, row.mass = b and b.owner or 0, b and b.name or "", b and b.mass or 0
  end
end

function game.tick(match, inputs, dt)
  -- 1. take new controls, move
  for i = 1, #blobs do
    local b = blobs[i]
    local inp = inputs[b.owner]
    if inp then
      b.dx, b.dy = tonumber(inp.dx) or 0, tonumber(inp.dy) or 0
      b.boost = inp.boost == true
    end
    steer(b, dt)
  end
  -- 2. eat: pellets, then smaller blobs, heaviest first would favour the
  --    big; id order is simpler and fair enough for one tick
  local cells = blob_grid()
  local eaten, pellets = {}, 0
  for i = 1, #blobs do
    local b = blobs[i]
    if not b.eaten then
      local n = graze(match, b)
      pellets = pellets + n
      local m = hunt(match, b, cells, eaten)
      if n > 0 or m ~= b.m then set_mass(b, m + n * FOOD_MASS) end
    end
  end
  for _ = 1, pellets do drop_food(match) end
  -- 3. the eaten start again, as new blobs
  for i = 1, #eaten do
    local o = eaten[i]
    remove_blob(match, o)
    new_blob(match, match.players[o.owner] or { id = o.owner, name = o.name }, cells)
  end
  if #eaten > 0 or match.tick % BOARD_EVERY == 1 then rank(match) end
end

return game
