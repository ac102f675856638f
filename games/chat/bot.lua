-- A bot for chat: says something now and then, greets who arrives, answers
-- a greeting, and keeps quiet for a while after a notice. Every fourth bot
-- talks too fast, so the rate limit has work to do.
--
-- A line is a client event: think returns no input (nil) and, second, a
-- list of events { name = ..., data = { ... } }. One Lua state serves every
-- bot of a match, so each bot's memory is on `me`.

local LINES = {
  "hello everyone", "how is it going?", "anyone up for a match later?",
  "I just got here", "this room is nice", "brb", "gg",
  "has anyone seen the new map?", "see you all soon", "what a day",
}

---@param view tw.View what this bot sees, as a player would
---@param me tw.Me this bot: the same table every tick
local function think(view, me)
  me.next_at = me.next_at or view.tick + math.random(5, 30)
  if not me.member then                            -- our member entity's id, found once
    for _, m in ipairs(view.member) do
      if m.player == me.id then me.member = m.id end
    end
  end
  local answer
  for _, e in ipairs(view.events) do
    if e.name == "notice" then                     -- private: refused or muted
      me.next_at = view.tick + 100
    elseif e.name == "arrived" and e.data.by ~= me.member and math.random() < 0.5 then
      answer = "welcome, " .. e.data.name .. "!"
    elseif e.name == "said" and e.data.by ~= me.member and e.data.text == "hello everyone" and math.random() < 0.3 then
      answer = "hi!"
    end
  end
  if answer then return nil, { { name = "say", data = { text = answer } } } end
  if view.tick < me.next_at then return nil end
  local chatty = me.id % 4 == 0
  me.next_at = view.tick + (chatty and math.random(1, 5) or math.random(20, 80))
  return nil, { { name = "say", data = { text = LINES[math.random(#LINES)] } } }
end

return { think = think }
