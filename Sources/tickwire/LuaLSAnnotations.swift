import Engine

/// A game's types for lua-language-server (LuaLS, the EmmyLua dialect of
/// `---@class` comments): the `match` object with a `spawn`, `each`,
/// `broadcast` and `send` overload per kind and event, one class per entity
/// kind with its declared fields, the input, the events, the game table's
/// callbacks and the bot's `think`. Editors then complete
/// `match:spawn("ship", { x = ... })` and flag `match:spwan`.
///
/// Class names: `tw.<kind>` (an entity), `tw.<kind>.fields` (what `spawn`
/// takes), `tw.<kind>.seen` (as a bot sees it), `tw.events.<name>`,
/// `tw.client_events.<name>`; the engine's own types are capitalized
/// (`tw.Match`, `tw.Input`). A value the rules store is typed as what the
/// engine accepts (`number` for any numeric field, since it rounds);
/// what players and bots see as what they get (`integer` for `u8`).
enum LuaLSAnnotations {
    /// The `---@meta` file for `game`.
    static func meta(for game: GameDefinition, command: String) -> String {
        let schema = game.schema
        let kinds = schema.kinds.map(\.name)
        var out = MetaText()
        out += """
            ---@meta
            -- The types of the game in \(game.folder), for lua-language-server,
            -- written by `\(command)` from game.lua's declarations. Do not edit
            -- it: run the command again after changing game.state, game.input,
            -- game.events or game.client_events.
            --
            -- In game.lua, type the game table; its callbacks then know their arguments:
            --   ---@type tw.Game
            --   local game = { name = "\(game.name)" }
            -- In bot.lua, type think:
            --   ---@param view tw.View
            --   ---@param me tw.Me
            --   ---@return tw.BotInput?, tw.BotEvent[]?
            --   local function think(view, me) ... end

            """
        out.alias("tw.Kind", literals(kinds))
        out.alias("tw.AnyEntity", kinds.isEmpty ? "tw.Entity" : kinds.map { "tw.\($0)" }.joined(separator: "|"))
        out.alias("tw.AnySeen", kinds.isEmpty ? "table" : kinds.map { "tw.\($0).seen" }.joined(separator: "|"))
        out.alias("tw.EventName", literals(schema.events.map(\.name)))
        out.alias("tw.ClientEventName", literals(schema.clientEvents.map(\.name)))
        out += """

            ---A seated player, as game.join, game.leave and game.event receive it.
            ---@class tw.Player
            ---@field id integer the seat, 1 to max_players (\(game.maxPlayers) here); seats are reused after a player leaves
            ---@field name string what the player chose, at most 32 characters

            ---A `vec3` field's value: store `{ x = ..., y = ..., z = ... }` or `{ x, y, z }`.
            ---@class tw.Vec3
            ---@field x number
            ---@field y number
            ---@field z number

            ---A `quat` field's value: store `{ x = ..., y = ..., z = ..., w = ... }` or `{ x, y, z, w }`.
            ---@class tw.Quat
            ---@field x number
            ---@field y number
            ---@field z number
            ---@field w number

            ---An entity: the table `match:spawn` was given, now with `id` and `kind`.
            ---@class tw.Entity
            ---@field id integer unique in the match, never reused; the engine's: read it, never assign it
            ---@field kind tw.Kind the kind's name; the engine's: read it, never assign it

            """
        for kind in schema.kinds { entityClasses(kind, into: &out) }
        matchClass(game, into: &out)
        inputClasses(schema.input, into: &out)
        for event in schema.events {
            out.line("---The data of event \"\(event.name)\" (game.events.\(event.name)): declared fields are sent, quantized; other keys are ignored.")
            out.line("---@class tw.events.\(event.name)")
            for field in event.fields { out.field(field, type: storedType(field.type), optional: true) }
            out.line("")
        }
        for event in schema.clientEvents {
            out.line("---The data of client event \"\(event.name)\" (game.client_events.\(event.name)), decoded, as game.event receives it.")
            out.line("---@class tw.client_events.\(event.name)")
            for field in event.fields { out.field(field, type: seenType(field.type), optional: false) }
            out.line("")
        }
        gameClass(game, into: &out)
        botClasses(game, into: &out)
        out += """
            ---Loads `a/b.lua` from the game's folder for `require("a.b")`, once per match; returns what it returned (`true` for nothing).
            ---@param modname string letters, digits, `_` and dots
            ---@return any
            function require(modname) end

            """
        return out.text
    }

    /// `.luarc.json`: Lua 5.4 without the libraries the sandbox leaves out,
    /// the meta folder as a library, and `think` as a global bot.lua may set.
    static func luarc(metaFolder: String) -> String {
        """
        {
          "$schema": "https://raw.githubusercontent.com/LuaLS/vscode-lua/master/setting/schema.json",
          "runtime.version": "Lua 5.4",
          "runtime.builtin": { "debug": "disable", "io": "disable", "os": "disable", "package": "disable" },
          "workspace.library": ["\(metaFolder)"],
          "workspace.checkThirdParty": false,
          "diagnostics.globals": ["think"]
        }

        """
    }

    private static func entityClasses(_ kind: FieldSet, into out: inout MetaText) {
        let name = kind.name
        out.line("---A \(name) entity. Its declared fields are sent to players; put anything else on it too, it stays on the server.")
        out.line("---@class tw.\(name) : tw.Entity")
        out.line("---@field kind \"\(name)\"")
        for field in kind.fields { out.field(field, type: storedType(field.type), optional: false) }
        out.line("---@field [string] any")
        out.line("")
        out.line("---What `match:spawn(\"\(name)\", fields)` takes: the declared fields (nil is sent as 0, false or \"\"), and any of your own.")
        out.line("---@class tw.\(name).fields")
        for field in kind.fields { out.field(field, type: storedType(field.type), optional: true) }
        out.line("---@field [string] any")
        out.line("")
        out.line("---A \(name) as players and bots see it: its declared fields, quantized; entity fields as ids (0 for none).")
        out.line("---@class tw.\(name).seen")
        out.line("---@field id integer")
        out.line("---@field kind \"\(name)\"")
        for field in kind.fields { out.field(field, type: seenType(field.type), optional: false) }
        out.line("")
    }

    private static func matchClass(_ game: GameDefinition, into out: inout MetaText) {
        let schema = game.schema
        out += """
            ---The match, every callback's first argument.
            ---@class tw.Match
            ---@field tick integer the current tick: 1 in the first game.tick, 0 in game.init; read it, never assign it
            ---@field time number simulated seconds, tick * dt (0 in game.init); read it, never assign it
            ---@field players table<integer, tw.Player> seated players by id; read it, never assign it
            """
        for field in schema.match.fields { out.field(field, type: storedType(field.type), optional: false, note: "game.state.match") }
        out += """
            local Match = {}

            ---Makes `fields` (the table itself, not a copy) an entity of `kind` and returns it.
            ---@param kind tw.Kind
            ---@param fields? table
            ---@return tw.AnyEntity
            """
        for kind in schema.kinds.map(\.name) {
            out.line("---@overload fun(self: tw.Match, kind: \"\(kind)\", fields?: tw.\(kind).fields, options?: tw.SpawnOptions): tw.\(kind)")
        }
        out += """
            function Match:spawn(kind, fields, options) end

            ---Removes a live entity; players no longer see it after this tick.
            ---@param entity tw.Entity
            function Match:despawn(entity) end

            ---The live entities of `kind`, in id order: `for e in match:each(kind) do ... end`.
            ---@param kind tw.Kind
            ---@return fun(): tw.AnyEntity?
            """
        for kind in schema.kinds.map(\.name) {
            out.line("---@overload fun(self: tw.Match, kind: \"\(kind)\"): fun(): tw.\(kind)?")
        }
        out += """
            function Match:each(kind) end

            ---The number of live entities of `kind`, or of every kind.
            ---@param kind? tw.Kind
            ---@return integer
            function Match:count(kind) end

            ---The live entity with this id, or nil.
            ---@param id integer
            ---@return tw.AnyEntity?
            function Match:entity(id) end

            ---The match's seeded generator: a float in [0, 1), an integer in 1..n, or in m..n.
            ---@return number
            ---@overload fun(self: tw.Match, n: integer): integer
            ---@overload fun(self: tw.Match, m: integer, n: integer): integer
            function Match:random() end

            ---Sends an event to every player with this tick's state.
            ---@param name tw.EventName
            ---@param data? table
            """
        for event in schema.events.map(\.name) {
            out.line("---@overload fun(self: tw.Match, name: \"\(event)\", data?: tw.events.\(event))")
        }
        out += """
            function Match:broadcast(name, data) end

            ---Sends an event to one seated player (a player table or an id).
            ---@param player tw.Player|integer
            ---@param name tw.EventName
            ---@param data? table
            """
        for event in schema.events.map(\.name) {
            out.line("---@overload fun(self: tw.Match, player: tw.Player|integer, name: \"\(event)\", data?: tw.events.\(event))")
        }
        out += """
            function Match:send(player, name, data) end

            ---No player sees `entity`; with a player, takes them off the list of those who do (see match:show).
            ---@param entity tw.Entity
            ---@param player? tw.Player|integer
            function Match:hide(entity, player) end

            ---Every player sees `entity`, however far; with a player, adds them to the list of those who do (the first call makes the list: only those in it see it).
            ---@param entity tw.Entity
            ---@param player? tw.Player|integer
            function Match:show(entity, player) end

            ---Matchmaking (/play?game=) seats nobody new in this match until match:unlock(); joining by its id still asks game.join.
            function Match:lock() end

            ---Lets matchmaking seat new players in this match again.
            function Match:unlock() end

            ---`entity` is seen by its kind's rule again (game.visible, game.interest).
            ---@param entity tw.Entity
            function Match:reset_visibility(entity) end

            ---@class tw.SpawnOptions
            ---@field owner? tw.Player|integer the player the entity belongs to: sets its owner; private fields go to this player only

            """
    }

    private static func inputClasses(_ input: [Field], into out: inout MetaText) {
        out.line("---One player's input for this tick, decoded: `inputs[player.id]` in game.tick, absent when that player sent none. Clamp it: a client may send any value its type allows.")
        out.line("---@class tw.Input")
        for field in input { out.field(field, type: seenType(field.type), optional: false) }
        out.line("")
        out.line("---What bot.lua's think returns: the fields of game.input; a missing one counts as 0 or false.")
        out.line("---@class tw.BotInput")
        for field in input { out.field(field, type: storedType(field.type), optional: true) }
        out.line("")
    }

    private static func gameClass(_ game: GameDefinition, into out: inout MetaText) {
        let data = game.schema.clientEvents.isEmpty ? "table"
            : game.schema.clientEvents.map { "tw.client_events.\($0.name)" }.joined(separator: "|")
        out += """
            ---The table game.lua returns.
            ---@class tw.Game
            ---@field name? string non-empty, at most 64 bytes; the folder's name by default
            ---@field tick_rate? integer ticks per second, 1 to 120 (default 30)
            ---@field send_rate? integer snapshots per second sent to each player, 1 to tick_rate (default: tick_rate); skipped ticks' events still arrive
            ---@field max_players? integer seats per match, 1 to 255 (default 16)
            ---@field empty_timeout? integer|false seconds a match nobody is in lives on, 1 to 604800, or false: never ends for being empty (default: the server's, 60)
            ---@field state? table<string, table> entity kinds and their fields; `match` holds the match's own
            ---@field input? table<string, any> the fields of one input from a player
            ---@field events? table<string, table> event name -> its fields
            ---@field client_events? table<string, table> events players send: name -> its fields
            ---@field init? fun(match: tw.Match, params: table<string, number|string|boolean>) once before anyone joins
            ---@field join? fun(match: tw.Match, player: tw.Player): boolean?, string? return false and a reason to refuse
            ---@field leave? fun(match: tw.Match, player: tw.Player) the player is already gone from match.players
            ---@field tick? fun(match: tw.Match, inputs: table<integer, tw.Input>, dt: number) required: every tick
            ---@field result? fun(match: tw.Match): any non-nil (and not false) ends the match with this result
            ---@field reload? fun(match: tw.Match, old: tw.Game) with serve --dev: the new rules are loaded into the running match, which keeps its entities; carry the rules' own state over here
            ---@field event? fun(match: tw.Match, player: tw.Player, name: tw.ClientEventName, data: \(data)) a player's client event before game.tick
            ---@field visible? table<string, "owner"|"nobody"|"everyone"> kind -> who sees its entities (default: everyone, or by interest)
            ---@field interest? { radius: number, from: string } each player sees what is within radius of their own entity of the kind `from`
            ---@field spectators? "everything"|"public" what spectators see (default "everything")

            """
    }

    private static func botClasses(_ game: GameDefinition, into out: inout MetaText) {
        let schema = game.schema
        out.line("---What a bot sees at a tick, as a player would. Shared by the match's bots: read it, never change it.")
        out.line("---@class tw.View")
        out.line("---@field tick integer the tick number")
        out.line("---@field match tw.MatchSeen the declared fields of the match")
        out.line("---@field byid table<integer, tw.AnySeen> any entity by id")
        out.line("---@field events tw.EventSeen[] this tick's events for this bot")
        for kind in schema.kinds.map(\.name) {
            out.line("---@field \(kind) tw.\(kind).seen[] the live \(kind) entities, in id order")
        }
        out.line("")
        out.line("---The match's declared fields as players see them.")
        out.line("---@class tw.MatchSeen")
        for field in schema.match.fields { out.field(field, type: seenType(field.type), optional: false) }
        out += """

            ---An event as a bot receives it.
            ---@class tw.EventSeen
            ---@field name tw.EventName
            ---@field to integer 0 for a broadcast, else this bot's id
            ---@field data table<string, any> the declared fields, as players see them

            ---A bot: the same table every tick, so keep its memory on it.
            ---@class tw.Me : tw.Player
            ---@field [string] any

            ---What bot.lua returns.
            ---@class tw.Bot
            ---@field think fun(view: tw.View, me: tw.Me): tw.BotInput?, tw.BotEvent[]? nil sends no input this tick; the second value, client events to send

            ---A client event a bot sends: think's second value is a list of them.
            ---@class tw.BotEvent
            ---@field name tw.ClientEventName
            ---@field data? table<string, any> the event's declared fields

            ---bot.lua may define think as a global instead of returning { think = think }.
            ---@type fun(view: tw.View, me: tw.Me): tw.BotInput?, tw.BotEvent[]?
            think = nil

            """
    }

    /// The type of a value the rules store in a field: what the engine
    /// accepts there.
    static func storedType(_ type: FieldType) -> String {
        switch type {
        case .bool: "boolean"
        case .integer, .f32, .fixed, .angle: "number"
        case .string: "string"
        case .entity(let kind): (kind.map { "tw.\($0)" } ?? "tw.Entity") + "|integer"
        case .vec3: "tw.Vec3|number[]"
        case .quat: "tw.Quat|number[]"
        }
    }

    /// The type of a field's value as players, bots and inputs get it, decoded.
    static func seenType(_ type: FieldType) -> String {
        switch type {
        case .bool: "boolean"
        case .integer, .entity: "integer"
        case .f32, .fixed, .angle: "number"
        case .string: "string"
        case .vec3: "tw.Vec3"
        case .quat: "tw.Quat"
        }
    }

    /// `"a"|"b"`, or `string` for none.
    private static func literals(_ names: [String]) -> String {
        names.isEmpty ? "string" : names.map { "\"\($0)\"" }.joined(separator: "|")
    }
}

/// The meta file's text, a line at a time.
private struct MetaText {
    private(set) var text = ""

    mutating func line(_ line: String) { text += line + "\n" }

    static func += (lines: inout MetaText, block: String) { lines.text += block + "\n" }

    mutating func alias(_ name: String, _ type: String) { line("---@alias \(name) \(type)") }

    /// `---@field name type` with the declared type as its description.
    mutating func field(_ field: Field, type: String, optional: Bool, note: String? = nil) {
        line("---@field \(field.name)\(optional ? "?" : "") \(type) declared \(field.type)" + (note.map { " in \($0)" } ?? ""))
    }
}
