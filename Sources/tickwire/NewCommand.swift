import ArgumentParser
import Engine
import Foundation

/// `tickwire new NAME [--template arena|topdown|3d|cards|chat] [--into DIR]`:
/// writes a game folder (`game.lua`, `bot.lua`, `README.md`) from one of
/// the templates built into the binary, so a designer starts from a game
/// that already passes `check` and plays bot matches to a result, and its
/// editor files (`EditorFiles`), so the editor completes it from the start.
struct NewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new",
        abstract: "Start a game: write a game folder (game.lua, bot.lua, README.md) from a template.",
        discussion: """
            Writes DIR/NAME (games/NAME by default, relative to the current directory) and refuses a \
            folder that exists and is not empty, then the game's editor files as tickwire types does. \
            The templates:

            \(GameTemplate.all.map { "  \($0.name.padding(toLength: 8, withPad: " ", startingAt: 0)) \($0.headline)" }.joined(separator: "\n"))
            """
    )

    @Argument(help: "The game's name, also its folder's: letters, digits, '_' and '-', at most 64.")
    var name: String

    @Option(help: "The template: \(GameTemplate.all.map(\.name).joined(separator: ", ")).")
    var template = "arena"

    @Option(help: "The folder of games to write it in (default: games).")
    var into: String?

    /// Letters, digits, `_` and `-`, not starting with `-`, at most 64
    /// bytes (the longest game name): a name that is one folder, reads the
    /// same on every system, and needs no quoting in a URL, a shell or Lua.
    static func isSafeName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.utf8.count <= 64, first != "-" else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == "-") }
    }

    func run() throws {
        do {
            try write()
        } catch let refusal as Refusal {
            StandardError.write(refusal.description)
            throw ExitCode.failure
        }
    }

    private func write() throws {
        guard Self.isSafeName(name) else {
            throw Refusal("'\(name)' cannot be a game's name: use letters, digits, '_' and '-' (not first), at most 64, e.g. tickwire new my_game")
        }
        guard let chosen = GameTemplate.named(template) else {
            let list = GameTemplate.all.map { "  \($0.name): \($0.headline)" }
            throw Refusal((["unknown template '\(template)'; the templates are:"] + list).joined(separator: "\n"))
        }
        let gamesFolder = into ?? "games"
        let folder = URL(fileURLWithPath: gamesFolder).appendingPathComponent(name)
        let shown = gamesFolder.hasSuffix("/") ? gamesFolder + name : gamesFolder + "/" + name
        try Self.prepare(folder, shown: shown)
        let files = chosen.files(gameName: name, folder: shown, gamesFolder: gamesFolder)
        do {
            for file in files {
                try Data(file.contents.utf8).write(to: folder.appendingPathComponent(file.name), options: .withoutOverwriting)
            }
        } catch {
            throw Refusal("cannot write \(shown): \(error.localizedDescription)")
        }
        // The template must load; if it does not, say so rather than leave a broken game.
        let definition: GameDefinition
        do {
            definition = try GameDefinition.load(folder: shown)
        } catch {
            throw Refusal("\(shown) was written but does not load: \(error)")
        }
        let editorFiles: [String]
        do {
            editorFiles = try EditorFiles.write(for: definition)
        } catch {
            throw Refusal("\(shown) was written, but not its editor files: \(error)")
        }
        print("\(shown): a new game from the \(chosen.name) template")
        for file in files { print("  \(shown)/\(file.name)") }
        for path in editorFiles { print("  \(path)") }
        print("""
            next:
              tickwire check \(shown)
              tickwire bots \(shown) --matches 4
              tickwire serve \(gamesFolder) --dev
            """)
    }

    /// Makes `folder`, or accepts it when it exists empty.
    private static func prepare(_ folder: URL, shown: String) throws {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder) {
            guard isFolder.boolValue else { throw Refusal("\(shown) exists and is not a folder") }
            let contents = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            guard contents.isEmpty else {
                throw Refusal("\(shown) already exists and is not empty: choose another name, or another folder with --into")
            }
            return
        }
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw Refusal("cannot make \(shown): \(error.localizedDescription)")
        }
    }

    /// Why `new` wrote nothing: printed as is, exit status 1.
    struct Refusal: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
