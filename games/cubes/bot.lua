-- A bot for cubes: it steers the player cube along the sweep the game
-- follows by itself when nobody plays, back and forth along rows across
-- the grid (boustrophedon), so that in about a minute it has ploughed
-- through most of it, then back the same way.
--
-- One Lua state serves every bot of a match: per-bot memory lives on `me`.

local sqrt = math.sqrt

-- Must match game.lua: the grid and the sweep.
local GRID, SPACING = 30, 1.5
local SWEEP_X, SWEEP_ROWS = 25, 8
local ARRIVED = 0.5          -- a waypoint this close is reached

local ROW_Y = (GRID - 1) / 2 * SPACING

-- Waypoint i (0-based): rows from -ROW_Y to ROW_Y, each run in the other
-- direction than the one before.
local function waypoint(i)
  local row = i // 2
  local y = -ROW_Y + row * (2 * ROW_Y / (SWEEP_ROWS - 1))
  local side = row % 2 == 0 and -1 or 1
  return (i % 2 == 0 and side or -side) * SWEEP_X, y
end

---@param view tw.View what this bot sees, as a player would
---@param me tw.Me this bot: the same table every tick
local function think(view, me)
  local cube = view.byid[view.match.player_cube]
  if not cube then return nil end
  local p = cube.position                  -- a vec3 arrives as { x, y, z }
  if not me.leg then
    me.leg, me.step = 0, 1                 -- start with the nearest end of the first row
    local x0, y0 = waypoint(0)
    local x1, y1 = waypoint(1)
    if (x1 - p.x) ^ 2 + (y1 - p.y) ^ 2 < (x0 - p.x) ^ 2 + (y0 - p.y) ^ 2 then me.leg = 1 end
  end
  local tx, ty = waypoint(me.leg)
  if (tx - p.x) ^ 2 + (ty - p.y) ^ 2 < ARRIVED * ARRIVED then
    local n = me.leg + me.step
    if n < 0 or n > 2 * SWEEP_ROWS - 1 then
      me.step = -me.step
      n = me.leg + me.step
    end
    me.leg = n
    tx, ty = waypoint(n)
  end
  local dx, dy = tx - p.x, ty - p.y
  local len = sqrt(dx * dx + dy * dy)
  if len < 1e-6 then return { dx = 0, dy = 0 } end
  return { dx = dx / len * 127, dy = dy / len * 127 }
end

return { think = think }
