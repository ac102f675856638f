import ArgumentParser

@main
struct Tickwire: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tickwire",
        abstract: "A multiplayer game state server whose rules are Lua scripts.",
        subcommands: [ServeCommand.self, BotsCommand.self, CheckCommand.self, NewCommand.self, TypesCommand.self, ReplayCommand.self,
                      BenchCommand.self]
    )
}
