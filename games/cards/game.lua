-- cards: Crazy Eights for 2 to 5 players, with hidden hands.
--
-- Everyone is dealt 5 cards (7 when two play) and one card is turned up to
-- start the pile. On your turn, play a card of the suit to follow or of the
-- top card's rank, or any 8 and name the suit to follow; or draw a card,
-- which ends your turn. When the deck runs out, the pile under its top card
-- is shuffled into a new deck. The first to empty their hand wins.
--
-- Who sees what: every card is an entity, and where it lies decides who
-- sees it (docs/lua-api.md, "Hidden information"):
--
--   in the deck, or buried in the pile   nobody       match:hide(card)
--   in a hand                            its owner    card.owner = player id, and game.visible
--   on top of the pile                   everyone     match:show(card)
--
-- Each player's `seat` is public: their name and how many cards they hold.
-- Spectators see what every player may see, never a hand.
--
-- Parameters (`--param key=value`, or `params` of POST /matches):
--   min_players  players the table deals with (2 to 5, default 2)
--   lobby        seconds a table with enough players waits for more before
--                dealing (0 to 60, default 5); a full table deals at once
--   turn_time    seconds a player has to move before the game draws for
--                them (1 to 120, default 15)

---@type tw.Game
local game = { name = "cards", tick_rate = 10, max_players = 5 }

-- Tuning, in cards, seconds and turns.
local MIN_PLAYERS = 2
local LOBBY       = 5
local TURN_TIME   = 15
local HAND        = 5         -- cards dealt to each player ...
local HAND_OF_TWO = 7         -- ... or to each of two
local MAX_TURNS   = 500       -- then the fewest cards win, so every game ends

local WAITING, PLAYING, OVER = 1, 2, 3   -- sent in match.phase

-- Suits 1..4 and ranks 1 (ace) .. 13 (king), as sent in card.suit and card.rank.
local SUITS = { "clubs", "diamonds", "hearts", "spades" }
local RANKS = { "ace", "2", "3", "4", "5", "6", "7", "8", "9", "10", "jack", "queen", "king" }

game.state = {
  match = {
    phase = "u8",
    needed = "u8",                -- players the table deals with (min_players)
    starts_in = "u8",             -- whole seconds before the deal; 0 when not counting down
    turn = "u8",                  -- whose turn: a player id; 0 when nobody's
    turns = "u16",                -- turns begun so far: each turn has its own number
    turn_left = "u8",             -- whole seconds left in this turn
    top = { "entity", "card" },   -- the card on top of the pile
    suit = "u8",                  -- the suit to follow, 1..4 (an 8 names it)
    deck = "u8",                  -- cards left to draw
    winner = "u8",                -- the winner's player id once the game is over
  },
  -- One per player at the table; everyone sees every seat.
  seat = { player = "u8", name = { "string", 32 }, cards = "u8" },   -- cards: how many they hold
  -- One per card of the deck. owner: the player holding it, 0 when nobody does.
  card = { rank = "u8", suit = "u8", owner = "u8" },
}

-- A card in a hand is sent to its owner alone; match:hide and match:show
-- set the audience of the cards that lie elsewhere.
game.visible = { card = "owner", seat = "everyone" }

-- A spectator sees the table as every player sees it: the top card and how
-- many cards each player holds, no hand. Someone watching his own game from
-- a second tab learns nothing his opponents did not show.
game.spectators = "public"

-- A move is an action, not a control held down, so it is a client event: it
-- arrives once, in order, and game.event checks it.
game.client_events = {
  play = { card = { "entity", "card" }, suit = "u8" },  -- suit: the one named with an 8 (0 keeps the 8's own)
  draw = {},                                            -- draw a card, or pass when none is left
}

game.events = {
  dealt      = { players = "u8", cards = "u8" },        -- the game begins: players at the table, cards each
  played     = { player = "u8", card = { "entity", "card" }, rank = "u8", suit = "u8",
                 named = "u8" },                        -- named: the suit named with an 8, else 0
  drew       = { player = "u8", timed_out = "bool" },   -- a card, face down: who drew, never what
  passed     = { player = "u8", timed_out = "bool" },   -- nothing was left to draw
  reshuffled = { cards = "u8" },                        -- the pile under the top became the deck
  over       = { winner = "u8", reason = { "string", 24 } },
  refused    = { reason = { "string", 64 } },           -- to one player: why their move was not taken
}

local names = {}              -- player id -> name, kept after they leave for the result
local seats = {}              -- player id -> seat entity
local order = {}              -- player ids in turn order, once dealt
local hands = {}              -- player id -> their card entities, in the order they got them
local deck = {}               -- card entities face down, the next to draw last
local buried = {}             -- card entities under the top of the pile, face down
local top                     -- the card entity on top of the pile
local min_players, lobby_ticks, turn_ticks
local deal_at                 -- tick of the deal, once enough players are in
local turn_ends               -- tick at which the current turn runs out
local passes = 0              -- passes in a row: a whole round of them blocks the game
local final                   -- the result, once the game is over

local function clamp(v, lo, hi) return math.max(lo, math.min(hi, math.floor(v))) end

local function index_of(list, value)
  for i = 1, #list do
    if list[i] == value then return i end
  end
end

-- Randomness comes from match:random, so a seed replays the same deal.
local function shuffle(match, list)
  for i = #list, 2, -1 do
    local j = match:random(i)
    list[i], list[j] = list[j], list[i]
  end
end

-- Where a card lies decides who sees it. Face down (the deck, or buried in
-- the pile): nobody.
local function face_down(match, c)
  c.owner = nil
  match:hide(c)
end

-- Into a hand: its owner alone, by the kind's rule in game.visible.
local function to_hand(match, c, id)
  c.owner = id
  match:reset_visibility(c)
  local hand = hands[id]
  hand[#hand + 1] = c
  seats[id].cards = #hand
end

-- On top of the pile: everyone. The card it covers is buried face down.
local function to_top(match, c)
  if top then
    face_down(match, top)
    buried[#buried + 1] = top
  end
  c.owner = nil
  match:show(c)
  top, match.top = c, c
end

-- The next card of the deck, or nil when none is left anywhere. An empty
-- deck is made anew from the pile under the top card, shuffled.
local function next_card(match)
  if #deck == 0 and #buried > 0 then
    deck, buried = buried, {}
    shuffle(match, deck)
    match:broadcast("reshuffled", { cards = #deck })
  end
  local c = table.remove(deck)
  match.deck = #deck
  return c
end

-- The player holding the fewest cards; a tie goes to the earlier in turn order.
local function fewest_cards()
  local best
  for _, id in ipairs(order) do
    if not best or #hands[id] < #hands[best] then best = id end
  end
  return best
end

local function finish(match, winner, reason)
  match.phase, match.turn, match.turn_left, match.winner = OVER, 0, 0, winner or 0
  local left = {}
  for _, id in ipairs(order) do
    left[#left + 1] = { player = id, name = names[id], cards = #hands[id] }
  end
  final = { winner = winner and names[winner], winner_id = winner, reason = reason,
            turns = match.turns, hands = left }
  match:broadcast("over", { winner = winner or 0, reason = reason })
end

local function begin_turn(match, id)
  match.turn, match.turns = id, match.turns + 1
  turn_ends = match.tick + turn_ticks
  match.turn_left = math.ceil(turn_ticks / game.tick_rate)
  if match.turns > MAX_TURNS then finish(match, fewest_cards(), "turn limit") end
end

local function next_turn(match)
  local i = index_of(order, match.turn) or 0
  begin_turn(match, order[i % #order + 1])
end

local function deal(match)
  for id = 1, game.max_players do             -- seat order, so the same players deal the same way
    if seats[id] then
      order[#order + 1] = id
      hands[id] = {}
    end
  end
  for suit = 1, 4 do
    for rank = 1, 13 do deck[#deck + 1] = { rank = rank, suit = suit } end
  end
  shuffle(match, deck)
  for _, c in ipairs(deck) do                  -- spawned after the shuffle: a card's id says nothing of it
    match:spawn("card", c)
    face_down(match, c)
  end
  local cards = #order == 2 and HAND_OF_TWO or HAND
  for _ = 1, cards do
    for _, id in ipairs(order) do to_hand(match, next_card(match), id) end
  end
  local first = next_card(match)
  while first.rank == 8 do                     -- an 8 turned up goes to the bottom of the deck
    table.insert(deck, 1, first)
    first = next_card(match)
  end
  to_top(match, first)
  match.phase, match.suit, match.starts_in = PLAYING, first.suit, 0
  match:lock()                                 -- matchmaking now sends newcomers to another table
  match:broadcast("dealt", { players = #order, cards = cards })
  begin_turn(match, order[1])
end

function game.init(match, params)
  min_players = clamp(tonumber(params.min_players) or MIN_PLAYERS, 2, game.max_players)
  lobby_ticks = clamp((tonumber(params.lobby) or LOBBY) * game.tick_rate, 0, 60 * game.tick_rate)
  turn_ticks = clamp((tonumber(params.turn_time) or TURN_TIME) * game.tick_rate, game.tick_rate, 120 * game.tick_rate)
  match.phase, match.needed = WAITING, min_players
  match.starts_in, match.turn, match.turns, match.turn_left = 0, 0, 0, 0
  match.suit, match.deck, match.winner = 0, 0, 0
end

function game.join(match, player)
  if match.phase ~= WAITING then return false, "this table's game has started: watch it, or open a new table" end
  names[player.id] = player.name
  seats[player.id] = match:spawn("seat", { player = player.id, name = player.name, cards = 0 })
  return true
end

function game.leave(match, player)
  local id = player.id
  if not seats[id] then return end
  match:despawn(seats[id])
  seats[id] = nil                              -- seats are reused: forget the player
  local i = index_of(order, id)
  if match.phase ~= PLAYING or not i then return end
  for _, c in ipairs(hands[id]) do             -- their cards go under the pile, face down
    face_down(match, c)
    buried[#buried + 1] = c
  end
  table.remove(order, i)
  if #order == 1 then
    finish(match, order[1], "the others left")
  elseif match.turn == id then
    begin_turn(match, order[(i - 1) % #order + 1])  -- the next player in the old order
  end
end

-- Whether card c may go on the pile now.
local function playable(match, c)
  return c.rank == 8 or c.suit == match.suit or c.rank == top.rank
end

local function can_play(match, id)
  for _, c in ipairs(hands[id]) do
    if playable(match, c) then return true end
  end
  return false
end

-- What may follow now, for a refusal: "play clubs, a king or an 8".
local function what_follows(match)
  if top.rank == 8 then return ("play %s or an 8"):format(SUITS[match.suit]) end
  local rank = RANKS[top.rank]
  return ("play %s, %s %s or an 8"):format(SUITS[match.suit], rank == "ace" and "an" or "a", rank)
end

-- Never trust a client: check what it sends against the state. Returns why
-- the move is refused, or nil once it is made. Any card not in the player's
-- hand, whoever holds it, gets the same answer.
local function play(match, player, data)
  local hand = hands[player.id]
  local c = match:entity(data.card)            -- an entity field arrives as an id
  local at = c and index_of(hand, c)
  if not at then return "that card is not in your hand" end
  if not playable(match, c) then return what_follows(match) end
  table.remove(hand, at)
  seats[player.id].cards = #hand
  to_top(match, c)
  local named, suit = 0, tonumber(data.suit) or 0
  if c.rank == 8 then named = (suit >= 1 and suit <= 4) and suit or c.suit end
  match.suit = named > 0 and named or c.suit
  passes = 0
  match:broadcast("played", { player = player.id, card = c, rank = c.rank, suit = c.suit, named = named })
  if #hand == 0 then
    finish(match, player.id, "empty hand")
  else
    next_turn(match)
  end
end

-- The player draws a card, or passes when none is left; either ends the turn.
-- A round in which everyone passed blocks the game: the fewest cards win.
local function draw(match, id, timed_out)
  local c = next_card(match)
  if c then
    to_hand(match, c, id)
    passes = 0
    match:broadcast("drew", { player = id, timed_out = timed_out })
  else
    passes = passes + 1
    match:broadcast("passed", { player = id, timed_out = timed_out })
  end
  if passes >= #order then
    finish(match, fewest_cards(), "blocked")
  else
    next_turn(match)
  end
end

function game.event(match, player, name, data)
  local problem
  if match.phase == WAITING then
    problem = "the cards are not dealt yet"
  elseif match.phase ~= PLAYING then
    problem = "the game is over"
  elseif match.turn ~= player.id then
    problem = "it is not your turn"
  elseif name == "play" then
    problem = play(match, player, data)
  elseif name == "draw" then
    if #deck == 0 and #buried == 0 and can_play(match, player.id) then
      problem = "nothing is left to draw: " .. what_follows(match)
    else
      draw(match, player.id, false)
    end
  end
  if problem then match:send(player, "refused", { reason = problem }) end
end

function game.tick(match)
  if match.phase == WAITING then
    local seated = 0
    for _ in pairs(seats) do seated = seated + 1 end
    if seated < min_players then
      deal_at, match.starts_in = nil, 0
      return
    end
    deal_at = deal_at or match.tick + lobby_ticks
    if match.tick >= deal_at or seated == game.max_players then
      deal(match)
    else
      match.starts_in = math.ceil((deal_at - match.tick) / game.tick_rate)
    end
  elseif match.phase == PLAYING then
    if match.tick >= turn_ends then           -- too slow: the game draws for the player
      draw(match, match.turn, true)
    else
      match.turn_left = math.ceil((turn_ends - match.tick) / game.tick_rate)
    end
  end
end

-- nil while the game goes on; the result table ends the match:
-- { winner, winner_id, reason, turns, hands = { { player, name, cards }, ... } }
function game.result()
  return final
end

return game
