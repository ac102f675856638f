import Engine

/// A `.luacheckrc` for a game: luacheck (Debian's `lua-check`) told exactly
/// the globals the sandbox has, so it flags `os.time()`, `math.randomseed`,
/// a misspelled library function and a typo'd global such as
/// `undefined_thing = 1`, and nothing a game may rightly do: unused
/// callback parameters and layout (luacheck's 6xx codes) pass.
///
/// The list comes from a live sandboxed state (`RulesEnvironment`), not
/// from luacheck's `lua54` set, which knows `io` and `string.dump`.
enum LuacheckConfig {
    /// Callback parameters a game often ignores: an unused one is not a
    /// mistake when the engine fixes the signature.
    static let callbackParameters = ["match", "params", "player", "inputs", "dt", "name", "data", "view", "me"]

    static func text(for game: GameDefinition, globals: [RulesEnvironment.Global], command: String,
                     metaFolder: String) -> String {
        var lines = [
            "-- luacheck settings for the Tickwire game in \(game.folder): the globals its sandbox",
            "-- has and nothing more. Written by `\(command)`; the next run",
            "-- rewrites it unless you have edited it.",
            "std = \"tickwire\"",
            "stds.tickwire = {",
            "  read_globals = {",
        ]
        for global in globals {
            if global.fields.isEmpty {
                lines.append("    \(quoted(global.name)),")
            } else {
                lines.append("    [\(quoted(global.name))] = { fields = {")
                lines += wrapped(global.fields.map(quoted), indent: "      ")
                lines.append("    } },")
            }
        }
        lines += [
            "  },",
            "}",
            "-- The engine calls back with fixed parameters, so a callback may ignore some;",
            "-- and layout (line length, whitespace: the 6xx codes) is the designer's call.",
            "ignore = { " + callbackParameters.map { quoted("212/" + $0) }.joined(separator: ", ") + ", \"6\" }",
            "-- The editor types `tickwire types` writes are not code.",
            "exclude_files = { \(quoted(metaFolder + "/**")) }",
            "-- bot.lua may define think as a global instead of returning { think = think }.",
            "files[\"bot.lua\"] = { globals = { \"think\" } }",
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    /// A Lua string literal for a name (names are letters, digits and `_`).
    private static func quoted(_ name: String) -> String { "\"\(name)\"" }

    /// `items` as comma-separated lines of at most about 100 characters.
    private static func wrapped(_ items: [String], indent: String) -> [String] {
        var lines: [String] = []
        var current = indent
        for item in items {
            if current.count + item.count + 2 > 100, current != indent {
                lines.append(current.trimmingTrailingSpace)
                current = indent
            }
            current += item + ", "
        }
        if current != indent { lines.append(current.trimmingTrailingSpace) }
        return lines
    }
}

extension String {
    fileprivate var trimmingTrailingSpace: String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}
