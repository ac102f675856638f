/// A starting point for `tickwire new`: a small, commented game (`game.lua`),
/// a bot that plays it to a result (`bot.lua`), and what its README says.
///
/// Templates are Swift string literals, one file each, so the binary carries
/// them wherever it is copied. `__NAME__` in the Lua stands for the new
/// game's name: folder names are letters, digits, `_` and `-`
/// (`NewCommand.isSafeName`), so it is safe inside a Lua string.
struct GameTemplate {
    /// What `--template` takes.
    let name: String
    /// One line: what the game is.
    let summary: String
    /// The README's "Edit first" section: the knobs and functions to start with.
    let editFirst: String
    let game: String
    let bot: String

    /// Every template, in the order `tickwire new --help` lists them.
    static let all: [GameTemplate] = [.arena, .topdown, .threeD, .cards, .chat]

    static func named(_ name: String) -> GameTemplate? { all.first { $0.name == name } }

    static let placeholder = "__NAME__"

    /// The summary up to its colon, on one line: "A tiny arena shooter".
    var headline: String {
        String(summary.split(separator: ":").first ?? "").replacingOccurrences(of: "\n", with: " ")
    }

    /// The files of a new game called `gameName` in `folder`, whose parent
    /// folder of games is `gamesFolder`: name → contents.
    func files(gameName: String, folder: String, gamesFolder: String) -> [(name: String, contents: String)] {
        [("game.lua", game.replacingOccurrences(of: Self.placeholder, with: gameName)),
         ("bot.lua", bot.replacingOccurrences(of: Self.placeholder, with: gameName)),
         ("README.md", readme(gameName: gameName, folder: folder, gamesFolder: gamesFolder))]
    }

    /// A short README: what the game is, the three commands of the
    /// designer's loop (printed with the paths the game was written to, so
    /// they work as printed from the same folder), and what to edit first.
    func readme(gameName: String, folder: String, gamesFolder: String) -> String {
        """
        # \(gameName)

        \(summary) Made with `tickwire new \(gameName) --template \(name)`.

        - `game.lua`: the rules. `game.state` says what players see,
          `game.input` or `game.client_events` what they send, and the
          callbacks (`game.init`, `game.join`, `game.tick`, ...) run the match.
        - `bot.lua`: a bot that plays it, for `tickwire bots` and the smoke
          match of `tickwire check`.
        - `.tickwire/types.lua`, `.luarc.json`, `.luacheckrc`: what
          lua-language-server and luacheck need to complete and check this
          game. Run `tickwire types \(folder)` again after changing
          `game.state`, `game.input` or the events.

        ## The loop

        ```sh
        # validate, then play a smoke match: run it after every edit
        tickwire check \(folder)
        # headless matches of bots at full speed, each to its result
        tickwire bots \(folder) --matches 4
        # serve every game of the folder; a saved edit reaches running matches
        tickwire serve \(gamesFolder) --dev
        ```

        Players join at `ws://localhost:8080/play?game=\(gameName)`
        (`web/tickwire.js` in the Tickwire repository is a JavaScript client;
        `docs/protocol.md` describes the wire for others).

        ## Edit first

        \(editFirst)

        Then read `docs/lua-api.md` in the Tickwire repository: field types,
        the `match` object, events, bots, limits and what keeps a match
        deterministic.

        """
    }
}
