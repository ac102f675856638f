import ArgumentParser
import Engine
import Foundation

/// `tickwire types games/<name>`: writes the game's editor files (LuaLS
/// annotations, `.luarc.json`, `.luacheckrc`; see `EditorFiles`), so an
/// editor completes and checks the designer's code.
struct TypesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "types",
        abstract: "Write editor annotations for a game: lua-language-server types, .luarc.json and .luacheckrc.",
        discussion: """
            Loads the game and writes FOLDER/.tickwire/types.lua (the match object, one class per entity \
            kind with its declared fields, the input, the events, the callbacks and the bot's think), \
            FOLDER/.luarc.json for lua-language-server and FOLDER/.luacheckrc with the sandbox's globals. \
            A .luarc.json or .luacheckrc you have edited is left as it is. Run it again after changing \
            game.state, game.input or game.events.
            """
    )

    @Argument(help: "The game's folder, e.g. games/arena.")
    var game: String

    func run() throws {
        let definition: GameDefinition
        do {
            definition = try GameDefinition.load(folder: game)
        } catch {
            StandardError.write("\(error)")
            throw ExitCode.failure
        }
        do {
            for path in try EditorFiles.write(for: definition) { print("wrote \(path)") }
        } catch {
            StandardError.write("\(error)")
            throw ExitCode.failure
        }
    }
}
