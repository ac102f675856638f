-- A bot for world: flee the blobs that could eat it, chase the ones it
-- could eat, graze the nearest pellet otherwise, and wander when it sees
-- nothing. It looks only at what lies within VIEW of its own blob, as a
-- player's screen would show it.
--
-- One Lua state serves every bot of a match: per-bot memory lives on `me`.

local sqrt, random = math.sqrt, math.random

local VIEW      = 600       -- the game's interest radius
local EAT_RATIO = 1.25      -- must match game.lua: who may eat whom
local DANGER    = 220       -- flee a bigger blob whose edge is this close to ours
local CHASE     = 380       -- chase a smaller blob this close
local WALL      = 150       -- keep this far from the edges when fleeing

local function find_blob(view, me)
  local b = me.blob_id and view.byid[me.blob_id]
  if b and b.kind == "blob" and b.owner == me.id then return b end
  local list = view.blob
  for i = 1, #list do
    if list[i].owner == me.id then me.blob_id = list[i].id; return list[i] end
  end
end

-- (dx, dy) as a full-speed input.
local function toward(dx, dy, boost)
  local len = sqrt(dx * dx + dy * dy)
  if len < 1e-6 then return { dx = 0, dy = 0, boost = false } end
  return { dx = dx / len * 127, dy = dy / len * 127, boost = boost }
end

---@param view tw.View what this bot sees, as a player would
---@param me tw.Me this bot: the same table every tick
local function think(view, me)
  local b = find_blob(view, me)
  if not b then return nil end
  if not me.nerve then
    me.nerve = 0.7 + random() * 0.6         -- how close a threat may come before fleeing
    me.greed = 0.6 + random() * 0.8         -- how far prey is worth chasing
  end
  local x, y, r, mass = b.x, b.y, b.r, b.mass
  local size = view.match.size or 8000

  -- Threats push us away, weighted by closeness; prey pulls.
  local fx, fy, panic = 0, 0, false
  local prey, prey_d = nil, CHASE * me.greed
  local blobs = view.blob
  for i = 1, #blobs do
    local o = blobs[i]
    if o ~= b then
      local dx, dy = o.x - x, o.y - y
      local d2 = dx * dx + dy * dy
      if d2 < VIEW * VIEW and d2 > 0 then
        local d = sqrt(d2)
        local gap = d - o.r - r
        if o.mass >= EAT_RATIO * mass then
          if gap < DANGER * me.nerve then
            local w = 1 / (gap > 10 and gap or 10)
            fx, fy = fx - dx / d * w, fy - dy / d * w
            if gap < 80 then panic = true end
          end
        elseif mass >= EAT_RATIO * o.mass and gap < prey_d then
          prey, prey_d = o, gap
        end
      end
    end
  end

  if fx ~= 0 or fy ~= 0 then
    -- Away from the threats, and off the walls we would be pinned to.
    local len = sqrt(fx * fx + fy * fy)
    fx, fy = fx / len, fy / len
    if x < r + WALL then fx = fx + 1 elseif x > size - r - WALL then fx = fx - 1 end
    if y < r + WALL then fy = fy + 1 elseif y > size - r - WALL then fy = fy - 1 end
    return toward(fx, fy, panic and mass > 25)
  end
  if prey then
    return toward(prey.x - x, prey.y - y, prey_d < 100 and mass > 60)
  end

  local target, best = nil, VIEW * VIEW
  local food = view.food
  for i = 1, #food do
    local p = food[i]
    local dx, dy = p.x - x, p.y - y
    local d2 = dx * dx + dy * dy
    if d2 < best then target, best = p, d2 end
  end
  if target then return toward(target.x - x, target.y - y, false) end

  -- Nothing in sight: head for a waypoint, a new one now and then.
  if not me.wx or view.tick >= me.wander_until or (me.wx - x) ^ 2 + (me.wy - y) ^ 2 < 100 * 100 then
    me.wx, me.wy = random() * size, random() * size
    me.wander_until = view.tick + random(100, 300)
  end
  return toward(me.wx - x, me.wy - y, false)
end

return { think = think }
