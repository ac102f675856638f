import Engine
import Foundation

/// The files that let an editor and luacheck know a game: written by
/// `tickwire types FOLDER` and by `tickwire new`.
///
/// ```
/// FOLDER/.tickwire/types.lua     the ---@meta annotations (always rewritten)
/// FOLDER/.tickwire/luarc.json    the last generated .luarc.json
/// FOLDER/.tickwire/luacheckrc    the last generated .luacheckrc
/// FOLDER/.luarc.json             lua-language-server's settings
/// FOLDER/.luacheckrc             luacheck's settings
/// ```
///
/// `.tickwire/` starts with a dot, so the hot-reload watcher ignores it.
/// The two settings files at the top belong to the designer once they edit
/// them: one is rewritten only when it is missing or still equal to the
/// copy kept in `.tickwire/` (what the previous run wrote), so a hand-edited
/// file is never overwritten; a note says so, and the new version waits in
/// `.tickwire/` to be merged. A JSON file has no comment to mark it with,
/// and a marker key is one more thing LuaLS would have to ignore: the kept
/// copy needs neither.
enum EditorFiles {
    static let metaFolder = ".tickwire"

    /// Writes the files for `game` and returns the paths written (under
    /// `game.folder`). Prints a note on standard error for a settings file
    /// it left alone.
    static func write(for game: GameDefinition) throws -> [String] {
        let folder = URL(fileURLWithPath: game.folder)
        let meta = folder.appendingPathComponent(metaFolder)
        let command = "tickwire types \(game.folder)"
        let globals = try RulesEnvironment.sandboxGlobals()
        do {
            try FileManager.default.createDirectory(at: meta, withIntermediateDirectories: true)
        } catch {
            throw EditorFilesError(path: meta.path, reason: error)
        }
        var written: [String] = []
        let types = meta.appendingPathComponent("types.lua")
        try put(LuaLSAnnotations.meta(for: game, command: command), at: types)
        written.append("\(game.folder)/\(metaFolder)/types.lua")
        let settings = [
            (".luarc.json", "luarc.json", LuaLSAnnotations.luarc(metaFolder: metaFolder)),
            (".luacheckrc", "luacheckrc", LuacheckConfig.text(for: game, globals: globals, command: command, metaFolder: metaFolder)),
        ]
        for (name, keptName, text) in settings {
            let target = folder.appendingPathComponent(name), kept = meta.appendingPathComponent(keptName)
            let current = try? String(contentsOf: target, encoding: .utf8)
            let previous = try? String(contentsOf: kept, encoding: .utf8)
            try put(text, at: kept)
            if current == nil || current == previous || current == text {
                try put(text, at: target)
                written.append("\(game.folder)/\(name)")
            } else {
                StandardError.write("note: \(game.folder)/\(name) has been edited, so it was left as it is; the generated one is "
                    + "\(game.folder)/\(metaFolder)/\(keptName) (merge it, or delete yours and run `\(command)` again)")
            }
        }
        return written
    }

    /// The luacheck settings `tickwire check` uses for a folder without a
    /// `.luacheckrc` of its own.
    static func luacheckConfig(for game: GameDefinition) throws -> String {
        LuacheckConfig.text(for: game, globals: try RulesEnvironment.sandboxGlobals(),
                            command: "tickwire types \(game.folder)", metaFolder: metaFolder)
    }

    private static func put(_ text: String, at url: URL) throws {
        do {
            try Data(text.utf8).write(to: url, options: .atomic)
        } catch {
            throw EditorFilesError(path: url.path, reason: error)
        }
    }
}

/// A file `EditorFiles` could not write.
struct EditorFilesError: Error, CustomStringConvertible {
    let path: String
    let reason: any Error
    var description: String { "\(path): cannot write it: \(reason.localizedDescription)" }
}
