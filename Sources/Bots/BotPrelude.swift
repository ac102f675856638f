/// The Lua half of a bot brain: builds each tick's `view` from the values the
/// engine pushes, and calls the designer's `think(view, me)` for each bot.
/// One brain (one Lua state) serves every bot of a match, so the view is
/// built once per tick; each bot's `me` table persists and holds its memory.
enum BotPrelude {
    static let chunkName = "tickwire/bot"

    static let source = #"""
local B = {}
local type, error, unpack = type, error, table.unpack
local bot
local kinds, kind_fields, match_fields, event_names, event_fields, input_names
local view, all_events, private_events = { tick = 0, byid = {}, events = {} }, {}, false
local mes = {}

function B.setup(bot_module, kinds_, kind_fields_, match_fields_, event_names_, event_fields_, input_names_)
  if type(bot_module) ~= "table" or type(bot_module.think) ~= "function" then
    if type(think) == "function" then bot_module = { think = think }
    else error("bot.lua must return { think = function(view, me) ... end } (or define a global think)", 0) end
  end
  bot = bot_module
  kinds, kind_fields, match_fields = kinds_, kind_fields_, match_fields_
  event_names, event_fields, input_names = event_names_, event_fields_, input_names_
end

function B.add(id, name) mes[id] = { id = id, name = name } end
function B.remove(id) mes[id] = nil end

-- B.view(tick, match values..., per kind: count, then id and values per
-- entity..., event count, then to, kind and values per event...)
function B.view(tick, ...)
  local a, at = { ... }, 1
  local byid, m = {}, {}
  view = { tick = tick, byid = byid, match = m }
  for f = 1, #match_fields do m[match_fields[f]] = a[at]; at = at + 1 end
  for k = 1, #kinds do
    local names, kind, list, n = kind_fields[k], kinds[k], {}, a[at]
    at = at + 1
    for i = 1, n do
      local e = { id = a[at], kind = kind }
      at = at + 1
      for f = 1, #names do e[names[f]] = a[at]; at = at + 1 end
      list[i] = e
      byid[e.id] = e
    end
    view[kind] = list
  end
  all_events, private_events = {}, false
  local count = a[at]
  at = at + 1
  for j = 1, count do
    local to, k = a[at], a[at + 1]
    at = at + 2
    local names, data = event_fields[k], {}
    for f = 1, #names do data[names[f]] = a[at]; at = at + 1 end
    all_events[j] = { name = event_names[k], to = to, data = data }
    if to ~= 0 then private_events = true end
  end
  view.events = all_events
end

-- Returns false for no input, or true and the input's fields in input order.
function B.think(id)
  local me = mes[id]
  if private_events then
    local mine = {}
    for j = 1, #all_events do
      local e = all_events[j]
      if e.to == 0 or e.to == id then mine[#mine + 1] = e end
    end
    view.events = mine
  end
  local input = bot.think(view, me)
  if input == nil then return false end
  if type(input) ~= "table" then
    error(("think must return an input table or nil, got %s"):format(type(input)), 0)
  end
  local out = {}
  for i = 1, #input_names do out[i] = input[input_names[i]] end
  return true, unpack(out, 1, #input_names)
end

return B
"""#
}
