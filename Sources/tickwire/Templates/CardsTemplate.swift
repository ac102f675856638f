extension GameTemplate {
    /// `tickwire new NAME --template cards`.
    static let cards = GameTemplate(
        name: "cards",
        summary: """
            Crazy Eights for 2 to 4 players: follow the suit or the rank, 8s are wild,
            and the first to empty their hand wins. Moves are client events; each hand is
            sent only to its owner, the top card to everyone.
            """,
        editFirst: """
            - The tuning constants at the top of `game.lua`: hand size, start delay,
              turn time, turn limit.
            - `playable` is the rule for what may be played; `play` and `game.event`
              apply a move and say why one is refused.
            - `bot.lua`'s `think`: which card a bot plays, and the suit it names with
              an 8. It returns its move as a client event:
              `return nil, { { name = "play", data = { card = id, suit = s } } }`.
            """,
        game: #"""
        -- __NAME__: Crazy Eights for 2 to 4 players. Everyone is dealt 5 cards. On
        -- your turn, play a card of the suit to follow or of the top card's rank, or
        -- any 8 (and name the suit to follow); or draw one card, which ends your turn.
        -- The first to empty their hand wins.
        --
        -- Hands are hidden: a card is sent only to the player in its `owner` field
        -- (game.visible), and the top of the pile is shown to everyone (match:show).
        -- The deck is not made of entities at all, so it never leaves the server.

        -- Your editor knows this table's fields and callbacks from .tickwire/types.lua,
        -- written by `tickwire types` (again after you change the declarations).
        ---@type tw.Game
        local game = { name = "__NAME__", tick_rate = 10, max_players = 4 }

        -- Tuning, in cards and seconds: start here.
        local HAND        = 5
        local START_DELAY = 3         -- once two players are in, wait this long for more
        local TURN_TIME   = 15        -- then the game draws for the player
        local MAX_TURNS   = 200       -- then the fewest cards win, so every game ends

        local WAITING, PLAYING, OVER = 1, 2, 3   -- sent in match.phase

        game.state = {
          match = {
            phase = "u8",
            turn = "u8",              -- whose turn: a player id (0 while waiting)
            turns = "u16",            -- turns played so far
            suit = "u8",              -- the suit to follow, 1..4
            deck_left = "u8",         -- cards left to draw
            turn_left = "u8",         -- whole seconds left in this turn
          },
          -- A card in a hand (owner = its player's id) or on top of the pile (owner = 0).
          -- rank: 1 (ace) .. 13 (king); suit: 1..4.
          card = { rank = "u8", suit = "u8", owner = "u8" },
        }

        -- Who sees a card: its owner; the top card is shown to everyone. Spectators
        -- see what every player may see, so nobody reads hands from a second tab.
        game.visible = { card = "owner" }
        game.spectators = "public"

        -- A turn is an action, not a control held down, so it is a client event: it
        -- arrives once, in order, and game.event handles it.
        game.client_events = {
          play = { card = { "entity", "card" }, suit = "u8" },   -- suit: the one named with an 8
          draw = {},
        }

        game.events = {
          played = { player = "u8", rank = "u8", suit = "u8" },
          drew = { player = "u8" },
          refused = { reason = { "string", 48 } },   -- to one player: why their move was not taken
        }

        local deck = {}               -- the draw pile, { rank, suit } tables, top last (hidden: not entities)
        local discards = {}           -- cards under the top of the pile, shuffled back when the deck runs out
        local seats = {}              -- player ids in turn order
        local names = {}              -- player id -> name
        local top                     -- the card entity on top of the pile
        local start_at, turn_started, final

        -- Randomness comes from match:random, so a seed replays the same deal.
        local function shuffle(match, list)
          for i = #list, 2, -1 do
            local j = match:random(i)
            list[i], list[j] = list[j], list[i]
          end
        end

        local function index_of(list, value)
          for i = 1, #list do
            if list[i] == value then return i end
          end
        end

        local function draw_card(match, player_id)
          if #deck == 0 then
            deck, discards = discards, {}
            shuffle(match, deck)
          end
          local c = table.remove(deck)
          match.deck_left = #deck
          if c then match:spawn("card", { rank = c.rank, suit = c.suit, owner = player_id }) end
        end

        local function hand_of(match, player_id)
          local hand = {}
          for c in match:each("card") do
            if c.owner == player_id then hand[#hand + 1] = c end
          end
          return hand
        end

        local function finish(match, winner_id, reason)
          match.phase, match.turn = OVER, 0
          final = { winner = names[winner_id], winner_id = winner_id, reason = reason, turns = match.turns }
        end

        local function begin_turn(match, player_id)
          match.turn, match.turns = player_id, match.turns + 1
          turn_started = match.time
          match.turn_left = TURN_TIME
          if match.turns > MAX_TURNS then            -- fewest cards win; ties go to the earlier seat
            local best, fewest = nil, math.huge
            for _, id in ipairs(seats) do
              local n = #hand_of(match, id)
              if n < fewest then best, fewest = id, n end
            end
            finish(match, best, "turn limit")
          end
        end

        local function next_turn(match)
          local i = index_of(seats, match.turn) or 0
          begin_turn(match, seats[i % #seats + 1])
        end

        local function deal(match)
          match.phase = PLAYING
          for id = 1, game.max_players do            -- seat order, so the same players deal the same way
            if match.players[id] then seats[#seats + 1] = id end
          end
          for suit = 1, 4 do
            for rank = 1, 13 do deck[#deck + 1] = { rank = rank, suit = suit } end
          end
          shuffle(match, deck)
          for _ = 1, HAND do
            for _, id in ipairs(seats) do draw_card(match, id) end
          end
          local c = table.remove(deck)
          top = match:spawn("card", { rank = c.rank, suit = c.suit, owner = 0 })
          match:show(top)
          match.suit, match.deck_left = c.suit, #deck
          begin_turn(match, seats[1])
        end

        function game.init(match)
          match.phase, match.turn, match.turns, match.suit, match.deck_left = WAITING, 0, 0, 0, 0
        end

        function game.join(match, player)
          if match.phase ~= WAITING then return false, "the game has started" end
          names[player.id] = player.name
          return true
        end

        function game.leave(match, player)
          names[player.id] = nil                     -- seats are reused: forget the player
          for _, c in ipairs(hand_of(match, player.id)) do
            discards[#discards + 1] = { rank = c.rank, suit = c.suit }
            match:despawn(c)
          end
          local i = index_of(seats, player.id)
          if match.phase ~= PLAYING or not i then return end
          table.remove(seats, i)
          if #seats == 1 then
            finish(match, seats[1], "the others left")
          elseif #seats > 1 and match.turn == player.id then
            begin_turn(match, seats[(i - 1) % #seats + 1])  -- the next player in the old order
          end
        end

        -- Whether card c may go on the pile now.
        local function playable(match, c)
          return c.rank == 8 or c.suit == match.suit or c.rank == top.rank
        end

        -- Never trust a client: check everything it sends against the state.
        local function play(match, player, data)
          local c = match:entity(data.card)          -- an entity field arrives as an id
          if not c or c.kind ~= "card" or c.owner ~= player.id then return "that card is not in your hand" end
          if not playable(match, c) then return "follow the suit or the rank, or play an 8" end
          discards[#discards + 1] = { rank = top.rank, suit = top.suit }
          match:despawn(top)
          top, c.owner = c, 0
          match:show(top)
          match.suit = c.rank == 8 and data.suit >= 1 and data.suit <= 4 and data.suit or c.suit
          match:broadcast("played", { player = player.id, rank = c.rank, suit = c.suit })
          if #hand_of(match, player.id) == 0 then
            finish(match, player.id, "empty hand")
          else
            next_turn(match)
          end
        end

        function game.event(match, player, name, data)
          local problem
          if match.phase ~= PLAYING or match.turn ~= player.id then
            problem = "it is not your turn"
          elseif name == "play" then
            problem = play(match, player, data)
          elseif name == "draw" then
            draw_card(match, player.id)
            match:broadcast("drew", { player = player.id })
            next_turn(match)
          end
          if problem then match:send(player, "refused", { reason = problem }) end
        end

        function game.tick(match)
          if match.phase == WAITING then
            local count = 0
            for id = 1, game.max_players do
              if match.players[id] then count = count + 1 end
            end
            if count < 2 then
              start_at = nil
            elseif not start_at then
              start_at = match.time + START_DELAY
            elseif match.time >= start_at or count == game.max_players then
              deal(match)
            end
          elseif match.phase == PLAYING then
            local left = TURN_TIME - (match.time - turn_started)
            match.turn_left = math.max(0, math.ceil(left))
            if left <= 0 then                        -- too slow: the game draws for the player
              draw_card(match, match.turn)
              match:broadcast("drew", { player = match.turn })
              next_turn(match)
            end
          end
        end

        -- nil while the game goes on; the result table ends it.
        function game.result()
          return final
        end

        return game

        """#,
        bot: #"""
        -- A bot for __NAME__. It plays a card that follows the suit or the rank,
        -- keeps its 8s for when nothing else fits, and otherwise draws.
        --
        -- Moves are client events: think returns no input (nil) and, as a second
        -- value, a list of events { name = ..., data = { ... } }.
        -- One Lua state serves every bot of a match; each bot's memory is on `me`.

        local PLAYING = 2

        ---@param view tw.View what this bot sees, as a player would
        ---@param me tw.Me this bot: the same table every tick
        local function think(view, me)
          local m = view.match
          -- Act once per turn: the next view may come before the move is applied.
          if m.phase ~= PLAYING or m.turn ~= me.id or me.acted == m.turns then return nil end
          me.acted = m.turns
          local top, mine = nil, {}
          for _, c in ipairs(view.card) do           -- a fair bot looks only at its own cards
            if c.owner == 0 then top = c elseif c.owner == me.id then mine[#mine + 1] = c end
          end
          local choice, eight
          for _, c in ipairs(mine) do
            if c.rank == 8 then
              eight = eight or c
            elseif not choice and (c.suit == m.suit or (top and c.rank == top.rank)) then
              choice = c
            end
          end
          choice = choice or eight
          if not choice then return nil, { { name = "draw" } } end
          local count = { 0, 0, 0, 0 }               -- with an 8, name the suit we hold most of
          for _, c in ipairs(mine) do
            if c ~= choice then count[c.suit] = count[c.suit] + 1 end
          end
          local suit = 1
          for s = 2, 4 do
            if count[s] > count[suit] then suit = s end
          end
          return nil, { { name = "play", data = { card = choice.id, suit = suit } } }
        end

        return { think = think }

        """#
    )
}
