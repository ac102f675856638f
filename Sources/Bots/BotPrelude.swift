/// The Lua half of a bot brain: builds each tick's `view` from the values the
/// engine pushes, and calls the designer's `think(view, me)` for each bot.
/// One brain (one Lua state) serves every bot of a match, so the view is
/// built once per tick; each bot's `me` table persists and holds its memory.
///
/// `think` may return a second value, a list of client events
/// `{ name = ..., data = { ... } }`; the prelude checks their names and
/// holds them for `B.event` to hand over one by one. Keys of an input or of an
/// event's data that the game does not declare are noted once each (sorted,
/// so the order repeats) for `B.unknown` to hand over: they are likely typos.
enum BotPrelude {
    static let chunkName = "tickwire/bot"

    static let source = #"""
local B = {}
local type, error, unpack, pairs, sort = type, error, table.unpack, pairs, table.sort
local bot
local kinds, kind_fields, match_fields, event_names, event_fields, input_names
local client_event_names, client_event_fields, max_client_events
local view, all_events, private_events = { tick = 0, byid = {}, events = {} }, {}, false
local mes = {}
-- name -> true for declared input fields; name -> index for client events;
-- index -> (field name -> true) for their fields.
local input_set, client_event_index, client_event_sets = {}, {}, {}
-- Undeclared keys seen so far ("dirr", or "say.txt" for an event's field),
-- and those first seen by the last think; client events the last think sent.
local reported, fresh, outbox = {}, {}, {}
-- Notes kept at most: a bot that makes up keys as it goes is warned of
-- 32 times, not once a tick.
local notes, max_notes = 0, 32

local function set_of(names)
  local set = {}
  for i = 1, #names do set[names[i]] = true end
  return set
end

function B.setup(bot_module, kinds_, kind_fields_, match_fields_, event_names_, event_fields_, input_names_,
                 client_event_names_, client_event_fields_, max_client_events_)
  if type(bot_module) ~= "table" or type(bot_module.think) ~= "function" then
    if type(think) == "function" then bot_module = { think = think }
    else error("bot.lua must return { think = function(view, me) ... end } (or define a global think)", 0) end
  end
  bot = bot_module
  kinds, kind_fields, match_fields = kinds_, kind_fields_, match_fields_
  event_names, event_fields, input_names = event_names_, event_fields_, input_names_
  client_event_names, client_event_fields = client_event_names_, client_event_fields_
  max_client_events = max_client_events_
  input_set = set_of(input_names)
  for k = 1, #client_event_names do
    client_event_index[client_event_names[k]] = k
    client_event_sets[k] = set_of(client_event_fields[k])
  end
end

-- Notes the string keys of `t` missing from `declared`, once each.
local function note_unknown(t, declared, prefix)
  for key in pairs(t) do
    if type(key) == "string" and not declared[key] then
      local name = prefix .. key
      if not reported[name] and notes < max_notes then
        reported[name], notes = true, notes + 1
        fresh[#fresh + 1] = name
      end
    end
  end
end

local function declared_events()
  if #client_event_names == 0 then return "this game declares no game.client_events" end
  return "declared: " .. table.concat(client_event_names, ", ")
end

-- Checks the client events think returned and keeps them in `outbox`.
local function take_events(events)
  if type(events) ~= "table" then
    error(("think's second value must be a list of client events { name = ..., data = { ... } }, got %s")
      :format(type(events)), 0)
  end
  local n = #events
  if n > max_client_events then
    error(("think sent %d client events; a player may have at most %d waiting"):format(n, max_client_events), 0)
  end
  for j = 1, n do
    local e = events[j]
    if type(e) ~= "table" then
      error(("client event %d: expected { name = ..., data = { ... } }, got %s"):format(j, type(e)), 0)
    end
    local name, data = e.name, e.data
    if name == nil then name, data = e[1], e[2] end
    local k = client_event_index[name]
    if not k then
      error(("client event %d: unknown client event %s (%s)")
        :format(j, type(name) == "string" and ("'" .. name .. "'") or ("name of type " .. type(name)), declared_events()), 0)
    end
    if data == nil then data = {} end
    if type(data) ~= "table" then
      error(("client event %d (%s): data must be a table, got %s"):format(j, name, type(data)), 0)
    end
    outbox[j] = { k, data, name }
  end
  for j = 1, n do     -- only once all are valid, so an error loses no note
    local e = outbox[j]
    note_unknown(e[2], client_event_sets[e[1]], e[3] .. ".")
  end
  return n
end

-- The client event `j` the last think sent: its index, then its fields'
-- values in declaration order.
function B.event(j)
  local e = outbox[j]
  local names, data, out = client_event_fields[e[1]], e[2], {}
  for i = 1, #names do out[i] = data[names[i]] end
  return e[1], unpack(out, 1, #names)
end

-- The undeclared key `i` the last think used for the first time.
function B.unknown(i) return fresh[i] end

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

-- Returns whether there is an input, how many client events and new
-- undeclared keys there are (see B.event and B.unknown), then the input's
-- fields in input order.
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
  if #fresh > 0 then fresh = {} end
  if #outbox > 0 then outbox = {} end
  local input, events = bot.think(view, me)
  if input ~= nil and type(input) ~= "table" then
    error(("think must return an input table or nil, got %s"):format(type(input)), 0)
  end
  local n_events = events == nil and 0 or take_events(events)
  if input == nil then
    sort(fresh)
    return false, n_events, #fresh
  end
  note_unknown(input, input_set, "")
  sort(fresh)
  local out = {}
  for i = 1, #input_names do out[i] = input[input_names[i]] end
  return true, n_events, #fresh, unpack(out, 1, #input_names)
end

return B
"""#
}
