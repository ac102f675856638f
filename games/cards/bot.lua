-- A bot for cards (Crazy Eights). On its turn it plays a card that follows
-- the suit or the rank, choosing the one whose suit it holds most of, so it
-- can follow again next time; it keeps its 8s for when nothing else fits,
-- and then names the suit it holds most of. With nothing to play it draws.
--
-- It looks only at what its player is sent: its own cards, the top of the
-- pile and the match's fields. (A headless view may hold other cards too; a
-- fair bot leaves them alone.)
--
-- A move is a client event: think returns no input (nil) and, second, a
-- list of events { name = ..., data = { ... } }. One Lua state serves every
-- bot of a match, so each bot's memory is on `me`.

local PLAYING = 2

-- How many cards of each suit `hand` holds, 8s left out (an 8 follows anything).
local function suits_held(hand)
  local held = { 0, 0, 0, 0 }
  for _, c in ipairs(hand) do
    if c.rank ~= 8 then held[c.suit] = held[c.suit] + 1 end
  end
  return held
end

---@param view tw.View what this bot sees, as a player would
---@param me tw.Me this bot: the same table every tick
local function think(view, me)
  for _, e in ipairs(view.events) do
    if e.name == "refused" then me.acted = nil end   -- our move came too late or early: think again
  end
  local m = view.match
  -- Act once per turn: the next view may come before the move is applied.
  if m.phase ~= PLAYING or m.turn ~= me.id or me.acted == m.turns then return nil end
  local top = view.byid[m.top]
  if not top then return nil end
  local hand = {}
  for _, c in ipairs(view.card) do
    if c.owner == me.id then hand[#hand + 1] = c end
  end
  local held = suits_held(hand)
  local choice, eight
  for _, c in ipairs(hand) do
    if c.rank == 8 then
      eight = eight or c
    elseif (c.suit == m.suit or c.rank == top.rank) and (not choice or held[c.suit] > held[choice.suit]) then
      choice = c
    end
  end
  me.acted = m.turns
  if choice then return nil, { { name = "play", data = { card = choice.id } } } end
  if not eight then return nil, { { name = "draw" } } end
  local suit, most = 0, 0                             -- 0: the 8's own suit, when it holds nothing else
  for s = 1, 4 do
    if held[s] > most then suit, most = s, held[s] end
  end
  return nil, { { name = "play", data = { card = eight.id, suit = suit } } }
end

return { think = think }
