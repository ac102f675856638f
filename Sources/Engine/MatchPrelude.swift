/// The Lua half of a match: the `match` object a designer's rules see, and the
/// entry points the engine calls. It runs in the game's sandboxed state before
/// `game.lua` and returns a private table of engine functions that is kept in
/// the registry, out of the game's reach.
///
/// Invariants the Swift side relies on:
/// - `lists[k]` holds the live entities of kind index `k` (kinds sorted by
///   name), ordered by id; despawned entities leave at the next `compact`.
/// - `events` is a flat list of (recipient id or 0, event index, data table)
///   triples, at most `max_events` of them; the engine empties it when a
///   snapshot has taken them. A recipient is a seated player (1...255).
/// - Ids and kinds belong to the engine: `idof[e]` holds the id it gave each
///   listed table, out of the rules' reach, and the list holding a table is
///   its kind; everything here uses those, never `e.id` or `e.kind`, which a
///   script may overwrite. Engine
///   ids go up from 1 and stay below 2^32, so a list ordered by `idof` is
///   ordered by id. The snapshot checks the `id` and `kind` the rules left in
///   each table and, if one differs, calls `E.repair` to put the engine's
///   back (Match+EntityRepair.swift).
/// - Nothing here iterates string keys with `pairs`, so runs are deterministic.
///
/// The sandbox (`LuaSandbox`) is installed before it and seeds `math.random`,
/// which `match:random` shares. The same text runs under the plain `lua5.4`
/// interpreter in `tickwire bench` (which seeds through `E.setup`), so it may
/// use only the standard library.
public enum MatchPrelude {
    public static let chunkName = "tickwire/match"

    public static let source = #"""
local max_entities, max_events = ...
max_entities, max_events = max_entities or 4096, max_events or 4096
local type, error, tostring, rawget, rawset = type, error, tostring, rawget, rawset
local math_type, concat = math.type, table.concat
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
local idof = {}                 -- listed table -> its engine id
local seated = {}               -- player id -> player, for seated players only
local events = {}
-- audience[id]: who sees a live entity, when the rules said (match:hide,
-- match:show): false nobody, true everyone, or a set { [player id] = true }.
-- Unlisted entities follow their kind's rule. Cleared on despawn.
local audience = {}
-- What the engine reads of the match besides its state: `locked`, set by
-- match:lock(), keeps matchmaking from seating players here.
local status = { locked = false }
local next_id, live, dirty = 0, 0, false
local max_id = 4294967295       -- ids go on the wire as 32-bit numbers
-- Game callbacks run since the last snapshot, for E.repair: `before` those
-- run since the last tick began (joins, leaves, client events), `period`
-- the ones the tick's snapshot follows. No duplicates in a row.
local before, period = {}, { "init" }
local function ran(name)
  if before[#before] ~= name then before[#before + 1] = name end
end

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
-- table is listed once, under its new id. Ids are unique across kinds, so
-- a binary search per kind finds the slot (rare: no per-entity kind record).
local function unlist(e)
  local target = idof[e]
  for k = 1, #lists do
    local list = lists[k]
    local lo, hi = 1, #list
    while lo <= hi do
      local mid = (lo + hi) // 2
      local id = idof[list[mid]]
      if id == target then
        local tomb = { id = id, kind = kind_names[k] }
        list[mid], idof[tomb] = tomb, id
        gone[e] = nil
        return
      elseif id < target then lo = mid + 1
      else hi = mid - 1 end
    end
  end
  gone[e] = nil
end

-- A player table or id, as a seat number (1...255), or an error at the
-- caller's caller.
local function player_id(player, what)
  local id = type(player) == "table" and rawget(player, "id") or player
  if math_type(id) ~= "integer" or id < 1 or id > 255 then
    error(("%s: expected a player or a player id, got %s"):format(what,
      type(id) == "number" and tostring(id) or "a " .. type(player)), 3)
  end
  return id
end

function methods:spawn(kind, fields, options)
  local k = kind_of(kind, 2)
  local owner
  if options ~= nil then
    if type(options) ~= "table" then
      error(("spawn: options must be a table such as { owner = player }, got %s"):format(type(options)), 2)
    end
    if options.owner ~= nil then owner = player_id(options.owner, "spawn: owner") end
  end
  if fields == nil then fields = {}
  elseif type(fields) ~= "table" then
    error(("spawn: fields must be a table, got %s"):format(type(fields)), 2)
  elseif idof[fields] ~= nil and byid[idof[fields]] == fields then
    error("spawn: this table is already a live entity", 2)
  elseif gone[fields] then
    unlist(fields)
  end
  if live >= max_entities then
    error(("spawn: entity limit of %d reached"):format(max_entities), 2)
  end
  if next_id >= max_id then
    error("spawn: this match has used every entity id (2^32 - 1)", 2)
  end
  next_id = next_id + 1
  fields.id, fields.kind = next_id, kind
  if owner ~= nil then fields.owner = owner end
  idof[fields] = next_id
  local list = lists[k]
  list[#list + 1] = fields
  byid[next_id] = fields
  live = live + 1
  return fields
end

function methods:despawn(e)
  local id = type(e) == "table" and idof[e] or nil
  if id == nil or byid[id] ~= e then
    error("despawn: not a live entity", 2)
  end
  byid[id] = nil
  audience[id] = nil
  gone[e] = true
  live = live - 1
  dirty = true
end

local function live_id(e, what)
  local id = type(e) == "table" and idof[e] or nil
  if id == nil or byid[id] ~= e then error(what .. ": not a live entity", 3) end
  return id
end

-- match:hide(e): no player sees e; match:hide(e, player): one player fewer
-- in the list of those who do.
function methods:hide(e, player)
  local id = live_id(e, "hide")
  if player == nil then audience[id] = false; return end
  local p, seen = player_id(player, "hide"), audience[id]
  if type(seen) == "table" then
    seen[p] = nil
  elseif seen ~= false then
    error("hide: this entity is not shown to a list of players (match:show(e, player) makes one); "
      .. "match:hide(e) hides it from everyone", 2)
  end
end

-- match:show(e): every player sees e, however far; match:show(e, player):
-- one more player in the list of those who do.
function methods:show(e, player)
  local id = live_id(e, "show")
  if player == nil then audience[id] = true; return end
  local p, seen = player_id(player, "show"), audience[id]
  if seen == true then return end
  if type(seen) ~= "table" then seen = {}; audience[id] = seen end
  seen[p] = true
end

-- Matchmaking seats nobody new in a locked match (a game under way that
-- takes no late players); a player may still join it by its id, if
-- game.join accepts them, and resume a seat.
function methods:lock() status.locked = true end
function methods:unlock() status.locked = false end

-- Back to the rule of e's kind (game.visible, game.interest).
function methods:reset_visibility(e)
  audience[live_id(e, "reset_visibility")] = nil
end

function methods:each(kind)
  local list = lists[kind_of(kind, 2)]
  local i, n = 0, #list
  return function()
    while i < n do
      i = i + 1
      local e = list[i]
      if byid[idof[e]] == e then return e end
    end
  end
end

function methods:count(kind)
  if kind == nil then return live end
  local list, n = lists[kind_of(kind, 2)], 0
  for i = 1, #list do
    local e = list[i]
    if byid[idof[e]] == e then n = n + 1 end
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
  local n = #events
  if n >= 3 * max_events then
    error(("too many events: at most %d reach the clients per tick"):format(max_events), level + 1)
  end
  events[n + 1] = to
  events[n + 2] = k
  events[n + 3] = data or {}
end

function methods:broadcast(name, data) emit(0, name, data, 2) end

-- The recipient must be seated (the engine's record, not match.players,
-- which the rules may change): private events go to seat numbers 1...255.
function methods:send(player, name, data)
  local id = type(player) == "table" and player.id or player
  if math_type(id) ~= "integer" or seated[id] == nil then
    error(("send: not a player of this match (%s)"):format(
      type(id) == "number" and ("player id " .. tostring(id)) or "a " .. type(player)), 2)
  end
  emit(id, name, data, 2)
end

-- Engine entry points. Kind, field and event names arrive sorted by name.
local function setup_names(g, kinds, inputs, event_names, client_names, client_fields)
  game = g
  client_event_names, client_event_fields = client_names or {}, client_fields or {}
  for k, name in ipairs(kinds) do kind_index[name], kind_names[k] = k, name end
  for k, name in ipairs(event_names) do event_index[name] = k end
  input_names = inputs
end

function E.setup(g, kinds, inputs, event_names, seed, client_names, client_fields)
  setup_names(g, kinds, inputs, event_names, client_names, client_fields)
  for k = 1, #kinds do lists[k] = {} end
  if seed ~= nil then randomseed(seed) end
end

-- E.reload(g, ...): new rules in this running state, as E.setup's
-- arguments. Entity lists are kept by kind name (the same `lists` table:
-- the engine holds it); entities of a kind the new rules no longer declare
-- leave the match. Then the new game.reload(match, old_game) carries the
-- rules' own state over.
function E.reload(g, kinds, inputs, event_names, client_names, client_fields)
  local old = game
  local by_name = {}
  for k, name in ipairs(kind_names) do by_name[name] = lists[k] end
  local kept = {}
  for _, name in ipairs(kinds) do kept[name] = true end
  for _, name in ipairs(kind_names) do
    if not kept[name] then
      for _, e in ipairs(by_name[name]) do
        local id = idof[e]
        if byid[id] == e then byid[id] = nil; live = live - 1 end
      end
    end
  end
  for id in next, audience do
    if byid[id] == nil then audience[id] = nil end
  end
  for k = #lists, 1, -1 do lists[k] = nil end
  for k = #kind_names, 1, -1 do kind_names[k] = nil end
  for name in next, kind_index do kind_index[name] = nil end
  for name in next, event_index do event_index[name] = nil end
  setup_names(g, kinds, inputs, event_names, client_names, client_fields)
  for k, name in ipairs(kinds) do lists[k] = by_name[name] or {} end
  if g.reload then
    ran("reload")
    g.reload(match, old)
  end
  E.compact()
end

-- The match's public player table; recreated if the rules replaced it.
local function public_players()
  local players = rawget(match, "players")
  if type(players) ~= "table" then players = {}; rawset(match, "players", players) end
  return players
end

function E.init(params)
  if game.init then game.init(match, params or {}) end
  E.compact()
end

function E.join(id, name)
  local player = { id = id, name = name }
  local ok, reason = true, nil
  ran("join")
  if game.join then ok, reason = game.join(match, player) end
  E.compact()
  if ok == nil then ok = true end
  if ok then seated[id] = player; public_players()[id] = player; return true end
  return false, reason ~= nil and tostring(reason) or "refused by the game"
end

function E.leave(id)
  local player = seated[id]
  if player == nil then return end
  seated[id] = nil
  public_players()[id] = nil
  ran("leave")
  if game.leave then game.leave(match, player) end
  E.compact()
end

-- E.client_event(id, k, v1..vn): a player's client event, its fields in
-- declaration order, for game.event(match, player, name, data).
function E.client_event(id, k, ...)
  local player = seated[id]
  if player == nil or game.event == nil then return end
  ran("event")
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
  ran("tick")
  period, before = before, period   -- two tables reused: no allocation per tick
  for i = #before, 1, -1 do before[i] = nil end
  game.tick(match, inputs, dt)
  E.compact()
end

function E.compact()
  if not dirty then return end
  for k = 1, #lists do
    local list, j = lists[k], 0
    for i = 1, #list do
      local e = list[i]
      if byid[idof[e]] == e then j = j + 1; list[j] = e
      else idof[e] = nil end
    end
    for i = #list, j + 1, -1 do list[i] = nil end
  end
  gone = {}
  dirty = false
end

-- A value as a message shows it, without running any of the rules' code.
local function show(v)
  local t = type(v)
  if t == "number" then return tostring(v) end
  if t == "string" then return ("%q"):format(#v > 40 and v:sub(1, 40) .. "..." or v) end
  if t == "nil" then return "nil" end
  return "a " .. t
end

-- The snapshot found a listed table whose `id` or `kind` is not what the
-- engine gave it: the rules wrote to them. Drops despawned tables, puts the
-- engine's id and kind back in every live one, and returns how many were
-- wrong, what happened to the first, the names of the callbacks that ran
-- since the last snapshot (", "-separated), and the last one's function
-- (for the failure's location).
function E.repair()
  dirty = true
  E.compact()
  local count, first = 0, nil
  for k = 1, #lists do
    local list, kind = lists[k], kind_names[k]
    for i = 1, #list do
      local e = list[i]
      local id = idof[e]
      local rid, rkind = rawget(e, "id"), rawget(e, "kind")
      if rid ~= id or math_type(rid) ~= "integer" or rkind ~= kind then
        count = count + 1
        if first == nil then
          if rid ~= id or math_type(rid) ~= "integer" then
            first = ("%s entity %d: its id was changed to %s; entity ids belong to the engine and are read-only")
              :format(kind, id, show(rid))
          else
            first = ("%s entity %d: its kind was changed to %s; entity kinds belong to the engine and are read-only")
              :format(kind, id, show(rkind))
          end
        end
        rawset(e, "id", id)
        rawset(e, "kind", kind)
      end
    end
  end
  local names = {}
  for i = 1, #period do names[#names + 1] = period[i] end
  for i = 1, #before do names[#names + 1] = before[i] end
  local last = names[#names] or "tick"
  return count, first, concat(names, ", "), rawget(game, last)
end

-- nil or false: the match goes on.
function E.result()
  if game.result then return game.result(match) end
end

E.lists, E.events, E.match, E.ids, E.audience, E.status = lists, events, match, idof, audience, status
return E
"""#
}
