/// Game scripts that try to hang, crash or bloat the server, and what the
/// sandbox must answer to each. Played headless (EngineTests) and in a live
/// server beside healthy matches (ServerTests).
///
/// Each attack is the body of `game.tick` (run with `match.n` already set to
/// the tick, so tick 1 is `match.n == 1`) in `SandboxAttack.game`, whose
/// state has a match field `n`, kinds `rock { v = i32 }`, `blob { text =
/// string 4096 }` and events `note { v = i32 }`, `big { text = string 4096 }`.
/// The line marked `-- here` is where the failure must be located.
public struct SandboxAttack: Sendable, CustomStringConvertible {
    public enum Outcome: Sendable, Equatable {
        /// Stopped by the time limit (a wall-clock bound per call).
        case timeLimit
        /// Stopped by the memory cap.
        case memoryLimit
        /// Stopped by the time limit or the memory cap, whichever the
        /// machine reaches first (allocation-heavy loops).
        case timeOrMemoryLimit
        /// A Lua error whose message holds this text.
        case error(String)
        /// A failure the engine found after the call (message holds the text).
        case engine(String)
        /// Nothing to stop: the match plays on unharmed.
        case survives
    }

    public let name: String
    public let tick: String
    public let initBody: String
    public let outcome: Outcome
    /// Other files of the game folder (modules for `require`).
    public let files: [String: String]

    public init(_ name: String, _ outcome: Outcome, init initBody: String = "", files: [String: String] = [:], tick: String) {
        self.name = name
        self.tick = tick
        self.initBody = initBody
        self.outcome = outcome
        self.files = files
    }

    public var description: String { name }

    /// The whole game.lua.
    public var game: String {
        """
        local game = { name = "attack", tick_rate = 30, max_players = 4 }
        game.state = {
          match = { n = "u32", f = { "fixed", -100, 100, 0.5 } },
          rock = { v = "i32" },
          blob = { text = { "string", 4096 } },
        }
        game.input = { dx = "i8" }
        game.events = { note = { v = "i32" }, big = { text = { "string", 4096 } } }
        local S = {}
        function game.init(match, params)
        \(initBody)
        end
        function game.join(match, player) return true end
        function game.tick(match, inputs, dt)
          match.n = match.tick
        \(tick)
        end
        return game
        """
    }

    /// Every file of the game folder.
    public var folder: [String: String] { files.merging(["game.lua": game]) { $1 } }

    /// The file the failure must name and its `-- here` line (0: none).
    public var marked: (file: String, line: Int) {
        for (name, text) in files.sorted(by: { $0.key < $1.key }) where text.contains("-- here") {
            return (name, line(of: "-- here", in: text))
        }
        return ("game.lua", line(of: "-- here", in: game))
    }
}

extension SandboxAttack {
    /// At least forty attempts: loops in C, finalizers, `__close`,
    /// coroutines, recursion, huge and many strings, events, entities and
    /// fields, bad ids and values, poisoned metatables and globals, `load`.
    public static let all: [SandboxAttack] = timeAttacks + memoryAttacks + engineAttacks + poisonAttacks

    static let timeAttacks: [SandboxAttack] = [
        .init("string.rep of an empty string, maxinteger times", .survives, tick: """
            if match.n == 1 then local s = string.rep("", math.maxinteger) end -- here
            """),
        .init("string.rep with an empty separator", .survives, tick: """
            if match.n == 1 then local s = ("").rep("", math.maxinteger, "") end -- here
            """),
        .init("table.move over maxinteger nils", .timeLimit, tick: """
            if match.n == 1 then table.move({}, 1, math.maxinteger - 1, 1, {}) end -- here
            """),
        .init("string.find with a backtracking pattern", .timeLimit, tick: """
            if match.n == 1 then string.find(string.rep("a", 30000), ".-.-.-.-.-.-b") end -- here
            """),
        .init("string.match with captures that backtrack", .timeLimit, tick: """
            if match.n == 1 then string.match(string.rep("a", 30000), "(.-)(.-)(.-)(.-)(.-)b") end -- here
            """),
        .init("string.gmatch with a backtracking pattern", .timeLimit, tick: """
            if match.n == 1 then for m in string.gmatch(string.rep("a", 30000), ".-.-.-.-.-b") do end end -- here
            """),
        .init("string.gsub with a backtracking pattern", .timeLimit, tick: """
            if match.n == 1 then string.gsub(string.rep("a", 30000), ".-.-.-.-.-b", "") end -- here
            """),
        .init("a %b pattern over unbalanced text", .timeLimit, tick: """
            if match.n == 1 then string.find(string.rep("(", 200000), "%b()x") end -- here
            """),
        .init("a %f frontier pattern rescanned", .timeLimit, tick: """
            if match.n == 1 then string.find(string.rep("a", 30000), ".-%f[b].-.-.-b") end -- here
            """),
        .init("table.insert shifting under a huge __len", .timeLimit, tick: """
            if match.n == 1 then
              local t = setmetatable({}, { __len = function() return math.maxinteger - 1 end })
              table.insert(t, 1, 0) -- here
            end
            """),
        .init("table.remove shifting under a huge __len", .timeLimit, tick: """
            if match.n == 1 then
              local t = setmetatable({}, { __len = function() return math.maxinteger - 1 end })
              table.remove(t, 1) -- here
            end
            """),
        .init("table.concat over a poisoned string metatable", .timeLimit, tick: """
            if match.n == 1 then
              local mt = getmetatable("")
              mt.__index = string.sub
              mt.__len = function() return math.maxinteger end
              table.concat("x", "", 1, math.maxinteger) -- here
            end
            """),
        .init("table.sort of a big array", .timeLimit, init: """
            S.t = {}
            """, tick: """
            if match.n <= 36 then
              -- small steps (a few ms each), so even a very busy machine's
              -- tick stays within the limit before the marked line
              local t, base = S.t, #S.t
              for i = 1, 30000 do t[base + i] = ((base + i) * 7919) % 1080007 end
            else
              table.sort(S.t) -- here
            end
            """),
        .init("a finalizer that loops forever", .error("__gc"), tick: """
            if match.n == 1 then setmetatable({}, { __gc = function() while true do end end }) end -- here
            """),
        .init("a __close that loops, run by coroutine.close", .timeLimit, tick: """
            if match.n == 1 then
              local co = coroutine.create(function()
                local x <close> = setmetatable({}, { __close = function() while true do end end }) -- here
                coroutine.yield()
              end)
              coroutine.resume(co)
              coroutine.close(co)
            end
            """),
        .init("a __close that loops in the tick itself", .timeLimit, tick: """
            if match.n == 1 then
              do local x <close> = setmetatable({}, { __close = function() while true do end end }) end -- here
            end
            """),
        .init("an endless loop inside coroutine.wrap", .timeLimit, tick: """
            if match.n == 1 then coroutine.wrap(function() while true do end end)() end -- here
            """),
        .init("an endless loop in a resumed coroutine", .timeLimit, tick: """
            if match.n == 1 then coroutine.resume(coroutine.create(function() while true do end end)) end -- here
            """),
        .init("an endless loop in a required module", .timeLimit,
              files: ["spin.lua": "local n = 0\nwhile true do n = n + 1 end -- here\nreturn n\n"], tick: """
            if match.n == 1 then require("spin") end
            """),
        .init("load of 24 MB of source, again and again", .timeLimit, tick: """
            -- 24 MB read in 16 pieces of 1.5 MB, so no string is built that a busy
            -- machine could take longer than the limit to copy
            if match.n == 1 then S.src = string.rep(";", 1500000) end
            if match.n == 2 then for i = 1, 100 do local k = 0; load(function() k = k + 1; if k <= 16 then return S.src end end) end end -- here
            """),
        .init("load from a reader that never ends", .timeLimit, tick: """
            if match.n == 1 then load(function() return " " end) end -- here
            """),
        .init("an endless tail call", .timeLimit, tick: """
            if match.n == 1 then local function f() return f() end f() end -- here
            """),
        .init("pcall swallowing the time limit, forever", .timeLimit, tick: """
            if match.n == 1 then while true do pcall(function() while true do end end) end end -- here
            """),
        .init("xpcall with a handler that loops", .timeLimit, tick: """
            if match.n == 1 then
              while true do xpcall(error, function() while true do end end) end -- here
            end
            """),
        .init("an error object whose __tostring loops", .timeLimit, tick: """
            if match.n == 1 then
              while true do pcall(error, setmetatable({}, { __tostring = function() while true do end end })) end -- here
            end
            """),
        .init("an endless loop every tick", .timeLimit, tick: """
            while true do end -- here
            """),
    ]

    static let memoryAttacks: [SandboxAttack] = [
        .init("a string of a terabyte", .error("too large"), tick: """
            if match.n == 1 then local s = string.rep("x", 1 << 40) end -- here
            """),
        .init("a string doubled until it bursts", .memoryLimit, tick: """
            if match.n == 1 then local s = "x" while true do s = s .. s end end -- here
            """),
        .init("a hundred million small strings", .timeOrMemoryLimit, tick: """
            if match.n == 1 then local t = {} for i = 1, 100000000 do t[i] = tostring(i) end end -- here
            """),
        .init("tables without end", .timeOrMemoryLimit, tick: """
            if match.n == 1 then local t = {} while true do t[#t + 1] = {} end end -- here
            """),
        .init("a million events in one tick", .error("too many events"), tick: """
            if match.n == 1 then for i = 1, 100000000 do match:broadcast("note", { v = i }) end end -- here
            """),
        .init("deep recursion", .timeOrMemoryLimit, tick: """
            if match.n == 1 then local function f() return 1 + f() end f() end -- here
            """),
        .init("a table.concat that builds a huge string", .timeOrMemoryLimit, tick: """
            if match.n == 1 then local t = {} for i = 1, 64 do t[i] = string.rep("y", 1 << 20) end local s = table.concat(t) .. table.concat(t) end -- here
            """),
        .init("string.rep with a separator, a billion times", .error("too large"), tick: """
            if match.n == 1 then local s = string.rep("ab", 1 << 30, ",") end -- here
            """),
        .init("utf8.char of many code points", .memoryLimit, tick: """
            if match.n == 1 then local s = string.rep(utf8.char(0x10FFFF), 1 << 26) end -- here
            """),
    ]

    static let engineAttacks: [SandboxAttack] = [
        .init("a snapshot above the message limit", .engine("above the protocol's limit"), tick: """
            if match.n == 1 then for i = 1, 400 do match:spawn("blob", { text = string.rep("z", 4096) }) end end
            """),
        .init("events above the message limit", .engine("above the protocol's limit"), tick: """
            if match.n == 1 then for i = 1, 400 do match:broadcast("big", { text = string.rep("e", 4096) }) end end
            """),
        .init("more entities than allowed", .error("entity limit"), tick: """
            if match.n == 1 then for i = 1, 100000 do match:spawn("rock", { v = i }) end end -- here
            """),
        .init("an entity id set to 0", .engine("id"), tick: """
            if match.n == 1 then local r = match:spawn("rock", { v = 1 }); r.id = 0 end
            """),
        .init("two entities with one id", .engine("id"), tick: """
            if match.n == 1 then
              local a, b = match:spawn("rock", { v = 1 }), match:spawn("rock", { v = 2 })
              b.id = a.id
            end
            """),
        .init("an entity id of 2^32", .engine("id"), tick: """
            if match.n == 1 then local r = match:spawn("rock", { v = 1 }); r.id = 1 << 32 end
            """),
        .init("an entity id that is not a number", .engine("id"), tick: """
            if match.n == 1 then local r = match:spawn("rock", { v = 1 }); r.id = "rock" end
            """),
        .init("a private event to a player that is not there", .error("not a player"), tick: """
            if match.n == 1 then match:send(300, "note", { v = 1 }) end -- here
            """),
        .init("values that do not fit their fields", .survives, tick: """
            match.f = 0 / 0
            local r = match:spawn("rock", { v = math.huge })
            r.v = "many"
            match:despawn(r)
            """),
    ]

    static let poisonAttacks: [SandboxAttack] = [
        .init("a string metatable whose __index loops", .timeLimit, tick: """
            if match.n == 1 then
              getmetatable("").__index = function() while true do end end -- here
              local x = ("a"):upper()
            end
            """),
        .init("globals whose __index loops", .timeLimit, tick: """
            if match.n == 1 then
              setmetatable(_G, { __index = function() while true do end end }) -- here
              local x = undefined_global
            end
            """),
        .init("standard globals removed", .survives, tick: """
            pairs, ipairs, next, setmetatable, getmetatable, type, error, tostring, select = nil, nil, nil, nil, nil, nil, nil, nil, nil
            rawset, rawget, pcall, table, string, math = nil, nil, nil, nil, nil, nil
            """),
        .init("collectgarbage to force collections", .error("collectgarbage"), tick: """
            if match.n == 1 then collectgarbage("collect") end -- here
            """),
        .init("a binary chunk", .error("only text chunks"), tick: """
            if match.n == 1 then assert(load("\\27Lua", "x", "b")) end -- here
            """),
        .init("the os library", .error("attempt to index a nil value"), tick: """
            if match.n == 1 then os.exit(1) end -- here
            """),
        .init("string.dump", .error("attempt to call a nil value"), tick: """
            if match.n == 1 then string.dump(print) end -- here
            """),
        .init("deeply nested source", .error("overflow"), tick: """
            if match.n == 1 then assert(load("return " .. string.rep("(", 100000) .. "1" .. string.rep(")", 100000))) end -- here
            """),
        .init("table.unpack of a hundred million values", .error("too many results"), tick: """
            if match.n == 1 then table.unpack({}, 1, 100000000) end -- here
            """),
    ]
}
