extension GameTemplate {
    /// `tickwire new NAME --template chat`.
    static let chat = GameTemplate(
        name: "chat",
        summary: """
            A chat room: members say lines (client events) to each other; lines that
            are too long, hold a banned word or come too fast are refused, a flooder
            is muted, and after the time limit the most active member wins.
            """,
        editFirst: """
            - The tuning constants at the top of `game.lua`: time limit, line length,
              rate limit, mute time, banned words; the time limit, the line length and
              the banned words are also parameters (`--param banned=frack,smeg`).
            - `refusal` is the room's moderation: add a rule there.
            - `bot.lua`: what bots say and how often. A chat line is a client event:
              `return nil, { { name = "say", data = { text = "hello" } } }`.
            """,
        game: #"""
        -- __NAME__: a chat room. Members say lines; the room keeps order: lines too
        -- long, with a banned word, or faster than the rate limit are refused with
        -- a notice to their sender, and a member who floods is muted for a while.
        -- After the time limit the room closes; the most active member wins.
        --
        -- Parameters (`--param key=value`, or the match's params on a server):
        --   time_limit   seconds the room stays open (default 120)
        --   max_length   longest line in bytes (default 80, at most 200)
        --   banned       banned words, comma-separated: banned=frack,smeg

        -- Your editor knows this table's fields and callbacks from .tickwire/types.lua,
        -- written by `tickwire types` (again after you change the declarations).
        ---@type tw.Game
        local game = { name = "__NAME__", tick_rate = 10, max_players = 16 }

        -- Tuning, in lines and seconds: start here.
        local TIME_LIMIT  = 120
        local MAX_LENGTH  = 80
        local RATE_LINES  = 3         -- at most this many lines ...
        local RATE_WINDOW = 5         -- ... in this many seconds; one more mutes
        local MUTE_TIME   = 10
        local BANNED      = "frack"   -- the default list

        game.state = {
          match = { time_left = "u16", lines = "u16" },   -- lines said in the room so far
          member = { player = "u8", name = { "string", 32 }, lines = "u16", muted = "bool" },
        }

        -- What members send: a chat line is a client event, not an input; it arrives
        -- once, in order, and game.event handles it.
        game.client_events = { say = { text = { "string", 200 } } }

        -- What members receive.
        game.events = {
          said   = { by = { "entity", "member" }, text = { "string", 200 } },
          notice = { text = { "string", 80 } },            -- to one member: why a line was refused
        }

        local members = {}            -- member entities in id order
        local by_player = {}          -- player id -> member
        local time_limit, max_length = TIME_LIMIT, MAX_LENGTH
        local banned = {}             -- lowercase words, in the order given
        local final

        function game.init(match, params)
          time_limit = tonumber(params.time_limit) or TIME_LIMIT
          max_length = math.min(200, tonumber(params.max_length) or MAX_LENGTH)
          for word in tostring(params.banned or BANNED):gmatch("[^,%s]+") do banned[#banned + 1] = word:lower() end
          match.time_left, match.lines = time_limit, 0
        end

        function game.join(match, player)
          if final then return false, "the room is closed" end
          local m = match:spawn("member", { player = player.id, name = player.name, lines = 0, muted = false,
                                            recent = {}, muted_until = 0 })  -- recent: times of the last lines (not sent)
          members[#members + 1] = m
          by_player[player.id] = m
          return true
        end

        function game.leave(match, player)
          local m = by_player[player.id]
          if not m then return end
          by_player[player.id] = nil                     -- seats are reused: forget the player
          for i = #members, 1, -1 do
            if members[i] == m then table.remove(members, i) end
          end
          match:despawn(m)
        end

        -- Why a line may not be said, or nil. Never trust a client: check everything.
        local function refusal(match, m, text)
          if m.muted then return ("you are muted for %d more seconds"):format(math.ceil(m.muted_until - match.time)) end
          if #text > max_length then return ("too long: at most %d bytes"):format(max_length) end
          local lower = text:lower()
          for _, word in ipairs(banned) do
            if lower:find(word, 1, true) then return "please keep it friendly" end
          end
          -- the rate limit: forget lines older than the window, then count the rest
          local recent, kept = m.recent, {}
          for _, t in ipairs(recent) do
            if match.time - t < RATE_WINDOW then kept[#kept + 1] = t end
          end
          m.recent = kept
          if #kept >= RATE_LINES then
            m.muted, m.muted_until = true, match.time + MUTE_TIME
            return ("slow down: muted for %d seconds"):format(MUTE_TIME)
          end
        end

        function game.event(match, player, name, data)
          local m = by_player[player.id]
          if name ~= "say" or not m or final then return end
          local text = data.text:gsub("^%s+", ""):gsub("%s+$", "")
          if text == "" then return end
          local problem = refusal(match, m, text)
          if problem then
            match:send(player, "notice", { text = problem })
            return
          end
          m.recent[#m.recent + 1] = match.time
          m.lines, match.lines = m.lines + 1, match.lines + 1
          match:broadcast("said", { by = m, text = text })
        end

        function game.tick(match)
          if final then return end
          for _, m in ipairs(members) do
            if m.muted and match.time >= m.muted_until then m.muted = false end
          end
          match.time_left = math.max(0, math.ceil(time_limit - match.time))
          if match.time_left == 0 then
            local best                                   -- the most lines; ties go to the lower id
            for _, m in ipairs(members) do
              if not best or m.lines > best.lines then best = m end
            end
            final = { most_active = best and best.name, lines = best and best.lines or 0,
                      total_lines = match.lines, members = #members }
          end
        end

        -- nil while the room is open; the result table ends the match.
        function game.result()
          return final
        end

        return game

        """#,
        bot: #"""
        -- A bot for __NAME__: says something now and then, answers a greeting, and
        -- keeps quiet for a while when the room sends it a notice. Every fourth bot
        -- is a chatterbox that talks too fast, so the rate limit has work to do.
        --
        -- A chat line is a client event: think returns no input (nil) and, as a
        -- second value, a list of events { name = ..., data = { ... } }.
        -- One Lua state serves every bot of a match; each bot's memory is on `me`.

        local LINES = {
          "hello everyone", "how is it going?", "anyone up for a match later?",
          "I just got here", "this room is nice", "brb", "what a frack of a day",
          "has anyone seen the new map?", "gg", "see you all soon",
        }

        ---@param view tw.View what this bot sees, as a player would
        ---@param me tw.Me this bot: the same table every tick
        local function think(view, me)
          me.next_at = me.next_at or view.tick + math.random(5, 40)
          local answer
          for _, e in ipairs(view.events) do
            if e.name == "notice" then                   -- private: refused or muted
              me.next_at = view.tick + 100
            elseif e.name == "said" and e.data.by ~= me.member and e.data.text == "hello everyone" and math.random() < 0.3 then
              answer = "hi!"
            end
          end
          if not me.member then                          -- our member entity's id, found once
            for _, m in ipairs(view.member) do
              if m.player == me.id then me.member = m.id end
            end
          end
          if answer then return nil, { { name = "say", data = { text = answer } } } end
          if view.tick < me.next_at then return nil end
          local chatty = me.id % 4 == 0
          me.next_at = view.tick + (chatty and math.random(1, 5) or math.random(20, 80))
          return nil, { { name = "say", data = { text = LINES[math.random(#LINES)] } } }
        end

        return { think = think }

        """#
    )
}
