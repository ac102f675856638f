import ArgumentParser
import Bots
import Engine
import Foundation

/// `tickwire check games/<name>`: loads and validates a game without playing it.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate a game: syntax, schemas, callbacks, game.init and bot.lua.",
        discussion: "Exits with status 1 and a file:line message when the game has a problem."
    )

    @Argument(help: "The game's folder, e.g. games/arena.")
    var game: String

    func run() throws {
        do {
            let definition = try GameDefinition.load(folder: game)
            let match = try Match(game: definition, options: MatchOptions(log: { print("  \($0)") }))
            if definition.botSource != nil {
                _ = try BotBrain(game: definition, seed: 0)
            }
            print(Self.summary(definition, entities: match.snapshots.latest?.entities.count ?? 0))
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode.failure
        }
    }

    static func summary(_ game: GameDefinition, entities: Int) -> String {
        let schema = game.schema
        func list(_ fields: [Field]) -> String {
            fields.isEmpty ? "(none)" : fields.map { "\($0.name): \($0.type)" }.joined(separator: ", ")
        }
        var lines = ["\(game.folder): ok — \(game.name), \(game.tickRate) Hz, up to \(game.maxPlayers) players"]
        lines.append("  match: \(list(schema.match.fields))")
        for kind in schema.kinds { lines.append("  \(kind.name): \(list(kind.fields))") }
        lines.append("  input: \(list(schema.input))")
        for event in schema.events { lines.append("  event \(event.name): \(list(event.fields))") }
        let optional = ["init", "join", "leave", "result", "event"].filter(game.callbacks.contains)
        lines.append("  callbacks: tick" + (optional.isEmpty ? "" : ", " + optional.joined(separator: ", ")))
        lines.append("  bot.lua: " + (game.botSource == nil ? "none" : "ok"))
        lines.append("  after init: \(entities) entit\(entities == 1 ? "y" : "ies")")
        return lines.joined(separator: "\n")
    }
}
