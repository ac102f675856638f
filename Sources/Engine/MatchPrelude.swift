/// The Lua half of a match: the `match` object a designer's rules see, and the
/// entry points the engine calls. It runs in the game's sandboxed state before
/// `game.lua` and returns a private table of engine functions that is kept in
/// the registry, out of the game's reach.
///
/// Invariants the Swift side relies on:
/// - `lists[k]` holds the live entities of kind index `k` (kinds sorted by
///   name), ordered by id; despawned entities leave at the next `compact`.
/// - `events` is a flat list of (recipient id or 0, event index, data table)
///   triples; the engine empties it when a snapshot has taken them.
/// - Nothing here iterates string keys with `pairs`, so runs are deterministic.
///
/// The sandbox (`LuaSandbox`) is installed before it and seeds `math.random`,
/// which `match:random` shares. The same text runs under the plain `lua5.4`
/// interpreter in `tickwire bench` (which seeds through `E.setup`), so it may
/// use only the standard library.
public enum MatchPrelude {
    public static let chunkName = "tickwire/match"

    public static let source = #"""
local max_entities = ... or 4096
local type, error, tostring = type, error, tostring
local random, randomseed = math.random, math.randomseed

local E = {}
local game                      -- the designer's table
local kind_index, kind_names = {}, {}
local event_index = {}
local input_names = {}
local client_event_names, client_event_fields = {}, {}
local lists = {}                -- lists[k] = live entities of kind k, by id
local byid = {}                 -- id -> entity, for live entities only
local gone = {}                 -- entities despawned since the last compact
local events = {}
local next_id, live, dirty = 0, 0, false

local methods = {}
local match = setmetatable({ tick = 0, time = 0, players = {} }, { __index = methods })

local function kind_of(name, level)
  local k = kind_index[name]
  if k == nil then
    error(("unknown entity kind '%s' (declare it in game.state)"):format(tostring(name)), level + 1)
  end
  return k
end

-- A despawned table spawned again before `compact` (pooling): its old list
-- slot becomes a tombstone with the old id (the list stays sorted), so the
-- table is listed once, under its new id.
local function unlist(e)
  local list = lists[kind_index[e.kind]]
  local lo, hi = 1, #list
  while lo <= hi do
    local mid = (lo + hi) // 2
    local id = list[mid].id
    if id == e.id then list[mid] = { id = id }; break
    elseif id < e.id then lo = mid + 1
    else hi = mid - 1 end
  end
  gone[e] = nil
end

function methods:spawn(kind, fields)
  local k = kind_of(kind, 2)
  if fields == nil then fields = {}
  elseif type(fields) ~= "table" then
    error(("spawn: fields must be a table, got %s"):format(type(fields)), 2)
  elseif fields.id ~= nil and byid[fields.id] == fields then
    error("spawn: this table is already a live entity", 2)
  elseif gone[fields] then
    unlist(fields)
  end
  if live >= max_entities then
    error(("spawn: entity limit of %d reached"):format(max_entities), 2)
  end
  next_id = next_id + 1
  fields.id, fields.kind = next_id, kind
  local list = lists[k]
  list[#list + 1] = fields
  byid[next_id] = fields
  live = live + 1
  return fields
end

function methods:despawn(e)
  if type(e) ~= "table" or e.id == nil or byid[e.id] ~= e then
    error("despawn: not a live entity", 2)
  end
  byid[e.id] = nil
  gone[e] = true
  live = live - 1
  dirty = true
end

function methods:each(kind)
  local list = lists[kind_of(kind, 2)]
  local i, n = 0, #list
  return function()
    while i < n do
      i = i + 1
      local e = list[i]
      if byid[e.id] == e then return e end
    end
  end
end

function methods:count(kind)
  if kind == nil then return live end
  local list, n = lists[kind_of(kind, 2)], 0
  for i = 1, #list do
    local e = list[i]
    if byid[e.id] == e then n = n + 1 end
  end
  return n
end

function methods:entity(id) return byid[id] end

function methods:random(m, n)
  if m == nil then return random() end
  if n == nil then return random(m) end
  return random(m, n)
end

local function emit(to, name, data, level)
  local k = event_index[name]
  if k == nil then
    error(("unknown event '%s' (declare it in game.events)"):format(tostring(name)), level + 1)
  end
  if data ~= nil and type(data) ~= "table" then
    error(("event data must be a table, got %s"):format(type(data)), level + 1)
  end
  events[#events + 1] = to
  events[#events + 1] = k
  events[#events + 1] = data or {}
end

function methods:broadcast(name, data) emit(0, name, data, 2) end

function methods:send(player, name, data)
  local id = type(player) == "table" and player.id or player
  if type(id) ~= "number" or match.players[id] == nil then
    error("send: not a player of this match", 2)
  end
  emit(id, name, data, 2)
end

-- Engine entry points. Kind, field and event names arrive sorted by name.
function E.setup(g, kinds, inputs, event_names, seed, client_names, client_fields)
  game = g
  client_event_names, client_event_fields = client_names or {}, client_fields or {}
  for k, name in ipairs(kinds) do kind_index[name], kind_names[k], lists[k] = k, name, {} end
  for k, name in ipairs(event_names) do event_index[name] = k end
  input_names = inputs
  if seed ~= nil then randomseed(seed) end
end

function E.init(params)
  if game.init then game.init(match, params or {}) end
  E.compact()
end

function E.join(id, name)
  local player = { id = id, name = name }
  local ok, reason = true, nil
  if game.join then ok, reason = game.join(match, player) end
  E.compact()
  if ok == nil then ok = true end
  if ok then match.players[id] = player; return true end
  return false, reason ~= nil and tostring(reason) or "refused by the game"
end

function E.leave(id)
  local player = match.players[id]
  if player == nil then return end
  match.players[id] = nil
  if game.leave then game.leave(match, player) end
  E.compact()
end

-- E.client_event(id, k, v1..vn): a player's client event, its fields in
-- declaration order, for game.event(match, player, name, data).
function E.client_event(id, k, ...)
  local player = match.players[id]
  if player == nil or game.event == nil then return end
  local names, data = client_event_fields[k], {}
  for f = 1, #names do data[names[f]] = (select(f, ...)) end
  game.event(match, player, client_event_names[k], data)
  E.compact()
end

-- E.tick(tick, dt, count, id1, v1..vk, id2, ...): one input per player that
-- sent one, values in input_names order.
function E.tick(tick, dt, count, ...)
  match.tick, match.time = tick, tick * dt
  local args, inputs, at, width = { ... }, {}, 1, #input_names
  for _ = 1, count do
    local input = {}
    for f = 1, width do input[input_names[f]] = args[at + f] end
    inputs[args[at]] = input
    at = at + width + 1
  end
  game.tick(match, inputs, dt)
  E.compact()
end

function E.compact()
  if not dirty then return end
  for k = 1, #lists do
    local list, j = lists[k], 0
    for i = 1, #list do
      local e = list[i]
      if byid[e.id] == e then j = j + 1; list[j] = e end
    end
    for i = #list, j + 1, -1 do list[i] = nil end
  end
  gone = {}
  dirty = false
end

-- nil or false: the match goes on.
function E.result()
  if game.result then return game.result(match) end
end

E.lists, E.events, E.match = lists, events, match
return E
"""#
}
