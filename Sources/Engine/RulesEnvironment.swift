import Lua

/// What a game's Lua finds besides its own code: the `match` object's
/// methods and engine fields, and the sandbox's globals.
///
/// Editor annotations, luacheck's configuration, the lint's "did you mean"
/// and the runtime hint on a misspelled method all read these lists, so they
/// never disagree with what the engine installs. `MatchPrelude` defines the
/// methods and `LuaSandbox` the globals; tests hold these lists to them.
public enum RulesEnvironment {
    /// The `match` object's methods (`MatchPrelude`'s `methods` table), sorted.
    public static let matchMethods = ["broadcast", "count", "despawn", "each", "entity", "hide", "lock", "random",
                                       "reset_visibility", "send", "show", "spawn", "unlock"]
    /// Fields of `match` the engine sets and the rules only read, sorted.
    public static let matchEngineFields = ["players", "tick", "time"]

    /// One global of the sandbox: a function or value (no `fields`), or a
    /// library table and the names in it.
    public struct Global: Sendable, Equatable {
        public let name: String
        /// Sorted; empty for a global that is not a library table.
        public let fields: [String]
    }

    /// The globals of a game's sandbox, sorted by name, read from a fresh
    /// sandboxed state, so the list is whatever this build's Lua and sandbox
    /// hold (Debian's Lua 5.4 keeps 5.3's `math.pow` and friends, for one).
    public static func sandboxGlobals() throws(GameError) -> [Global] {
        let names: LuaValue
        do throws(LuaError) {
            let lua = try LuaState()
            try lua.installSandbox(LuaSandbox(seed: 0))
            try lua.load(source: Self.globalsChunk, chunkName: "tickwire/globals")
            try lua.call(arguments: 0, results: 1)
            names = lua.stack.value(at: -1, depth: 2, maxEntries: 4096)
        } catch {
            throw GameError(error, context: "reading the sandbox's globals")
        }
        guard case .table(let entries) = names else { return [] }
        var globals: [Global] = []
        for entry in entries {
            guard let line = entry.value.asString else { continue }
            let parts = line.split(separator: " ").map(String.init)
            guard let name = parts.first else { continue }
            globals.append(Global(name: name, fields: Array(parts.dropFirst())))
        }
        return globals
    }

    /// One line per global, "name field field ...", sorted; `_G` is listed
    /// without its fields (they are the globals themselves).
    private static let globalsChunk = """
        local lines = {}
        for name, value in pairs(_G) do
          if type(name) == "string" then
            local fields = {}
            if type(value) == "table" and value ~= _G then
              for field in pairs(value) do
                if type(field) == "string" then fields[#fields + 1] = field end
              end
              table.sort(fields)
            end
            lines[#lines + 1] = name .. (#fields > 0 and " " .. table.concat(fields, " ") or "")
          end
        end
        table.sort(lines)
        return lines
        """
}
