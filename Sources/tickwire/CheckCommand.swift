import ArgumentParser
import Bots
import Engine
import Foundation

/// `tickwire check games/<name>`: loads and validates a game, then plays a
/// smoke match with every seat taken.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate a game: syntax, schemas, callbacks, game.init and bot.lua, then play a smoke match.",
        discussion: """
            The smoke match seats max_players players (bots of bot.lua, or random valid inputs without \
            one), plays --ticks ticks, sends each declared client event now and then, and removes the \
            players, so that game.join, game.tick, game.event and game.leave all run. Exits with status 1 \
            and a file:line message when the game has a problem or any script error happened. Warnings \
            (a misspelled callback, client events with no game.event, a method match does not have, a bot \
            sending undeclared input or client event fields, and luacheck's findings when luacheck is \
            installed) are printed; --strict fails on them.
            """
    )

    @Argument(help: "The game's folder, e.g. games/arena.")
    var game: String

    @Option(help: "Ticks of the smoke match (0: no smoke match).")
    var ticks = 300

    @Flag(help: "Fail on warnings too.")
    var strict = false

    func validate() throws {
        guard (0...1_000_000).contains(ticks) else { throw ValidationError("--ticks must be from 0 to 1000000") }
    }

    func run() throws {
        let definition: GameDefinition
        let entities: Int
        do {
            definition = try GameDefinition.load(folder: game)
            let match = try Match(game: definition, options: MatchOptions(log: { print("  \($0)") }))
            if definition.botSource != nil {
                _ = try BotBrain(game: definition, seed: 0)
            }
            entities = match.snapshots.latest?.entities.count ?? 0
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode.failure
        }
        let definitionWarnings = definition.warnings + Luacheck.warnings(for: definition)
        for warning in definitionWarnings { StandardError.write(warning) }
        var warnings = definitionWarnings.count
        var failed = false
        if ticks > 0 {
            let options = MatchOptions(seed: 1, failurePolicy: .skipTick, log: { print("  \($0)") })
            let smoke = SmokeMatch(game: definition, options: options, ticks: ticks).play()
            if let start = smoke.startFailure {
                StandardError.write(start)
                throw ExitCode.failure
            }
            if let reload = smoke.reloadFailure { StandardError.write("game.reload: \(reload)") }
            for failure in smoke.scriptFailures { StandardError.write(failure.description) }
            if smoke.failureCount > smoke.scriptFailures.count {
                StandardError.write("… and \(smoke.failureCount - smoke.scriptFailures.count) more script failures")
            }
            if let bot = smoke.firstBotError { StandardError.write("bot.lua: \(bot) (\(smoke.botErrors) bot errors)") }
            for warning in smoke.botWarnings { StandardError.write(warning) }
            warnings += smoke.botWarnings.count
            print(Self.summary(definition, entities: entities))
            let seats = "\(smoke.seated) of \(definition.maxPlayers) players seated"
                + (smoke.refused.isEmpty ? "" : " (refused: \(smoke.refused.prefix(3).joined(separator: "; ")))")
            print("  smoke match: \(seats), \(smoke.ticks) ticks, \(smoke.clientEventsSent) client events: "
                  + (smoke.passed ? "ok" : "\(smoke.failureCount) script failures, \(smoke.botErrors) bot errors"))
            failed = !smoke.passed
        } else {
            print(Self.summary(definition, entities: entities))
        }
        if warnings > 0 { print("  warnings: \(warnings)\(strict ? " (--strict)" : "")") }
        if failed || (strict && warnings > 0) { throw ExitCode.failure }
    }

    static func summary(_ game: GameDefinition, entities: Int) -> String {
        let schema = game.schema
        func list(_ fields: [Field], privates: [Int] = []) -> String {
            fields.isEmpty ? "(none)" : fields.enumerated().map { f, field in
                "\(field.name): \(field.type)" + (privates.contains(f) ? " (private)" : "")
            }.joined(separator: ", ")
        }
        let visibility = game.visibility
        let sending = game.sendRate == game.tickRate ? "" : " (snapshots at \(game.sendRate) Hz)"
        var lines = ["\(game.folder): ok — \(game.name), \(game.tickRate) Hz\(sending), up to \(game.maxPlayers) players"
            + Self.emptyTimeoutNote(game.emptyTimeout)]
        lines.append("  match: \(list(schema.match.fields))")
        for (k, kind) in schema.kinds.enumerated() {
            let rule = visibility.kinds[k].rule
            let seen = rule == .normal ? "" : " — seen by \(rule == .owner ? "its owner" : rule.rawValue)"
            lines.append("  \(kind.name): \(list(kind.fields, privates: visibility.kinds[k].privateFields))\(seen)")
        }
        if let interest = visibility.interest {
            lines.append("  interest: within \(interest.radius) of the player's \(schema.kinds[interest.from].name)")
        }
        if visibility.spectators == .public { lines.append("  spectators: what every player may see") }
        lines.append("  input: \(list(schema.input))")
        for event in schema.events { lines.append("  event \(event.name): \(list(event.fields))") }
        let optional = ["init", "join", "leave", "result", "event", "reload"].filter(game.callbacks.contains)
        lines.append("  callbacks: tick" + (optional.isEmpty ? "" : ", " + optional.joined(separator: ", ")))
        lines.append("  bot.lua: " + (game.botSource == nil ? "none" : "ok"))
        lines.append("  after init: \(entities) entit\(entities == 1 ? "y" : "ies")")
        return lines.joined(separator: "\n")
    }

    /// How long the game's empty matches live, when the game says (else the server decides).
    private static func emptyTimeoutNote(_ timeout: GameDefinition.EmptyTimeout?) -> String {
        switch timeout {
        case nil: ""
        case .never?: ", kept when empty"
        case .after(let duration)?: ", ends \(duration.components.seconds) s after it empties"
        }
    }
}
