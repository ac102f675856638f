import ArgumentParser

@main
struct Tickwire: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tickwire",
        abstract: "A multiplayer game state server whose rules are Lua scripts.",
        subcommands: [BotsCommand.self, CheckCommand.self, BenchCommand.self]
    )
}
