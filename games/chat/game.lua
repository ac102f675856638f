-- chat: a chat room. Each match is a room that stays open while empty; each
-- member is an entity (name, lines said, mute time left). Members say lines
-- as client events; the rules keep order, and every line that passes is
-- broadcast with its speaker:
--
--   * a line longer than the room's max length is refused;
--   * banned words are masked with `*` (the line still goes out, and its
--     speaker is told);
--   * a member may say at most RATE_LINES lines in RATE_WINDOW seconds: a
--     line over that is dropped and its speaker told; STRIKES such lines
--     within STRIKE_WINDOW seconds mute the member for MUTE_TIME seconds.
--
-- Refusals and warnings go to the speaker alone, as a `notice` event.
--
-- Parameters (`--param key=value`, or `params` of POST /matches):
--   banned       banned words, letters and digits, comma-separated: banned=frack,smeg
--   max_length   longest line in bytes (default 160, at most 200)

---@type tw.Game
local game = { name = "chat", tick_rate = 10, max_players = 32 }

-- A room is a place people come back to: it stays listed, empty, until the
-- server stops.
game.empty_timeout = false

-- Moderation, in lines and seconds.
local MAX_LENGTH    = 160
local RATE_LINES    = 4       -- at most this many lines ...
local RATE_WINDOW   = 5       -- ... in this many seconds
local STRIKES       = 3       -- lines over the rate limit ...
local STRIKE_WINDOW = 30      -- ... within this many seconds mute the member
local MUTE_TIME     = 20

game.state = {
  match = { members = "u8", lines = "u32" },      -- members in the room, lines said in it so far
  member = {
    player = "u8",
    name = { "string", 32 },
    lines = "u16",                                -- lines this member said
    muted_for = "u8",                             -- whole seconds of mute left; 0: may speak
  },
}

-- What members send: a line is a client event, which arrives once and in
-- order (an input would be sampled per tick).
game.client_events = { say = { text = { "string", 200 } } }

-- What members receive. `said` carries the name too, so a line stays
-- readable after its speaker has left.
game.events = {
  said    = { by = { "entity", "member" }, name = { "string", 32 }, text = { "string", 200 } },
  arrived = { by = { "entity", "member" }, name = { "string", 32 } },
  left    = { name = { "string", 32 } },
  muted   = { by = { "entity", "member" }, name = { "string", 32 }, seconds = "u8" },
  -- to one member: why their line was refused or changed. kind: "length",
  -- "rate", "muted" or "masked".
  notice  = { kind = { "string", 8 }, text = { "string", 120 } },
}

local members = {}            -- player id -> member entity
local max_length = MAX_LENGTH
local banned = {}             -- lowercase words

function game.init(match, params)
  max_length = math.max(1, math.min(200, math.floor(tonumber(params.max_length) or MAX_LENGTH)))
  for word in tostring(params.banned or ""):gmatch("%w+") do banned[#banned + 1] = word:lower() end
  match.members, match.lines = 0, 0
end

function game.join(match, player)
  local m = match:spawn("member", {
    player = player.id, name = player.name, lines = 0, muted_for = 0,
    -- not sent: times of recent lines and strikes, and when a mute ends
    recent = {}, strikes = {}, muted_until = 0,
  })
  members[player.id] = m
  match.members = match.members + 1
  match:broadcast("arrived", { by = m, name = m.name })
  return true
end

function game.leave(match, player)
  local m = members[player.id]
  if not m then return end
  members[player.id] = nil                        -- seats are reused: forget the player
  match.members = match.members - 1
  match:despawn(m)
  match:broadcast("left", { name = m.name })
end

-- `times` without the entries older than `window` seconds.
local function within(times, now, window)
  local kept = {}
  for _, t in ipairs(times) do
    if now - t < window then kept[#kept + 1] = t end
  end
  return kept
end

-- `text` with every banned word (whole words, any case) replaced by `*`s,
-- and how many were.
local function mask(text)
  local lower, hits = text:lower(), 0
  for _, word in ipairs(banned) do
    local pattern, from = "%f[%w]" .. word .. "%f[%W]", 1
    while true do
      local s, e = lower:find(pattern, from)
      if not s then break end
      text = text:sub(1, s - 1) .. ("*"):rep(e - s + 1) .. text:sub(e + 1)
      hits, from = hits + 1, e + 1
    end
  end
  return text, hits
end

-- Why `m` may not say a line now ("kind", "text"), or nil. A line over the
-- rate limit counts as a strike; enough strikes mute.
local function refusal(match, m, text)
  local now = match.time
  if now < m.muted_until then
    return "muted", ("you are muted for %d more seconds"):format(math.ceil(m.muted_until - now))
  end
  if #text > max_length then return "length", ("too long: at most %d bytes"):format(max_length) end
  m.recent = within(m.recent, now, RATE_WINDOW)
  if #m.recent < RATE_LINES then return nil end
  m.strikes = within(m.strikes, now, STRIKE_WINDOW)
  m.strikes[#m.strikes + 1] = now
  if #m.strikes >= STRIKES then
    m.strikes, m.muted_until = {}, now + MUTE_TIME
    m.muted_for = MUTE_TIME
    match:broadcast("muted", { by = m, name = m.name, seconds = MUTE_TIME })
    return "muted", ("too many lines: muted for %d seconds"):format(MUTE_TIME)
  end
  return "rate", ("slow down: at most %d lines in %d seconds"):format(RATE_LINES, RATE_WINDOW)
end

function game.event(match, player, name, data)
  local m = members[player.id]
  if name ~= "say" or not m then return end
  local text = data.text:gsub("^%s+", ""):gsub("%s+$", "")
  if text == "" then return end
  local kind, problem = refusal(match, m, text)
  if kind then
    match:send(player, "notice", { kind = kind, text = problem })
    return
  end
  local masked, hits = mask(text)
  m.recent[#m.recent + 1] = match.time
  m.lines, match.lines = m.lines + 1, match.lines + 1
  match:broadcast("said", { by = m, name = m.name, text = masked })
  if hits > 0 then
    match:send(player, "notice", { kind = "masked", text = "please keep it friendly: a banned word was masked" })
  end
end

function game.tick(match)
  for _, m in pairs(members) do
    m.muted_for = math.max(0, math.ceil(m.muted_until - match.time))
  end
end

return game
