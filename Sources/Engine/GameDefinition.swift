import Foundation
import Lua

/// A game folder, loaded and validated once: `game.lua` (required) and
/// `bot.lua` (optional). Each match then runs the same source in its own state.
public struct GameDefinition: Sendable {
    public let name: String
    /// The folder as the user named it, e.g. `games/arena`.
    public let folder: String
    public let source: String
    /// How errors name the rules file, e.g. `games/arena/game.lua`.
    public let chunkName: String
    public let botSource: String?
    public let botChunkName: String
    /// Ticks per second, 1...120.
    public let tickRate: Int
    /// Snapshots per second a player is sent, 1...`tickRate`
    /// (`game.send_rate`; the tick rate by default).
    public let sendRate: Int
    /// Seats per match, 1...255 (player ids are seat numbers).
    public let maxPlayers: Int
    /// `game.empty_timeout`; nil when the game leaves it to the server.
    public let emptyTimeout: EmptyTimeout?
    public let schema: GameSchema
    /// Who may see what (`game.visible`, `game.interest`, private fields).
    public private(set) var visibility: GameVisibility
    /// Which of init, join, leave, result, event the game defines (tick is required).
    public let callbacks: Set<String>
    /// Likely mistakes that are not errors (`GameDefinition+Lint`), each
    /// "file:line: warning: …": `tickwire check` prints them.
    public let warnings: [String]

    public static let tickRates = 1...120
    /// Player ids are seat numbers and travel as 1...`Welcome.maxPlayerID`.
    public static let playerCounts = 1...Welcome.maxPlayerID
    static let optionalCallbacks = ["init", "join", "leave", "result", "event", "reload"]

    /// Loads and validates the game in `folder`, running its top level once in
    /// a sandboxed state of its own.
    public static func load(folder: String, limits: LuaLimits = LuaLimits()) throws(GameError) -> GameDefinition {
        let trimmed = folder.hasSuffix("/") && folder.count > 1 ? String(folder.dropLast()) : folder
        let chunkName = trimmed + "/game.lua"
        guard let data = FileManager.default.contents(atPath: chunkName) else {
            var isFolder: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: trimmed, isDirectory: &isFolder)
            throw GameError(location: nil, message: exists && isFolder.boolValue
                ? "\(chunkName) not found: a game folder holds its rules in game.lua"
                : "\(trimmed) is not a game folder (expected \(chunkName))")
        }
        let source = String(decoding: data, as: UTF8.self)
        let botChunkName = trimmed + "/bot.lua"
        let botSource = FileManager.default.contents(atPath: botChunkName).map { String(decoding: $0, as: UTF8.self) }
        let game = try readDeclaration(source: source, chunkName: chunkName, folder: trimmed, limits: limits)
        return try GameDefinition(folder: trimmed, source: source, chunkName: chunkName,
                                  botSource: botSource, botChunkName: botChunkName, game: game)
    }

    private init(folder: String, source: String, chunkName: String, botSource: String?, botChunkName: String, game: LuaValue) throws(GameError) {
        let locator = SourceLocator(source: source, chunkName: chunkName)
        func fail(_ path: [String], _ message: String) -> GameError {
            GameError(location: locator.location(of: path), message: message)
        }
        let defaultName = URL(fileURLWithPath: folder).lastPathComponent
        switch game["name"] {
        case .nil: name = defaultName
        case .string(let s) where !s.isEmpty && s.utf8.count <= 64: name = s
        case let other: throw fail(["name"], "game.name must be a short non-empty string, got \(other.rendered)")
        }
        let tickRate = try Self.integer(game["tick_rate"], default: 30, range: Self.tickRates) {
            fail(["tick_rate"], "game.tick_rate must be a whole number of ticks per second from 1 to 120, got \($0)")
        }
        self.tickRate = tickRate
        sendRate = try Self.integer(game["send_rate"], default: tickRate, range: 1...tickRate) {
            fail(["send_rate"], "game.send_rate must be a whole number of snapshots per second from 1 to "
                + "the tick rate (\(tickRate)), got \($0)")
        }
        maxPlayers = try Self.integer(game["max_players"], default: 16, range: Self.playerCounts) {
            fail(["max_players"], "game.max_players must be a whole number from 1 to 255, got \($0)")
        }
        emptyTimeout = try Self.emptyTimeout(game["empty_timeout"]) {
            fail(["empty_timeout"], "game.empty_timeout must be a whole number of seconds from 1 to 604800, "
                + "or false to keep the match when nobody is in it, got \($0)")
        }
        guard game["tick"] == .function else {
            throw fail(["tick"], game["tick"] == .nil
                ? "game.tick is missing: define function game.tick(match, inputs, dt)"
                : "game.tick must be a function, got \(game["tick"].typeName)")
        }
        var callbacks: Set<String> = ["tick"]
        for name in Self.optionalCallbacks {
            switch game[name] {
            case .nil: break
            case .function: callbacks.insert(name)
            case let other: throw fail([name], "game.\(name) must be a function, got \(other.typeName)")
            }
        }
        self.callbacks = callbacks
        schema = try SchemaReader(locator: locator).read(game: game)
        visibility = try GameVisibility(game: game, schema: schema, locator: locator)
        warnings = Self.lint(game, locator: locator)
            + Self.lintMatchUses(source: source, chunkName: chunkName, matchFields: schema.match.fields.map(\.name))
        let welcomeBytes = Welcome(playerID: 0, matchID: "", tickRate: tickRate, tick: 0, schema: schema).encode().count
        guard welcomeBytes <= MessageType.maxMessageBytes else {
            throw fail(["state"], "the schemas take \(welcomeBytes) bytes on the wire, more than a message may hold (\(MessageType.maxMessageBytes)); declare fewer or shorter fields")
        }
        self.folder = folder
        self.source = source
        self.chunkName = chunkName
        self.botSource = botSource
        self.botChunkName = botChunkName
    }

    /// The ticks whose snapshots go out to players (`sendRate` of `tickRate`).
    public var sendSchedule: SendSchedule { SendSchedule(tickRate: tickRate, sendRate: sendRate) }

    /// The same rules with every player seeing everything: what the
    /// game's visibility saves, measured against (`tickwire bench --views`).
    public func seeingEverything() -> GameDefinition {
        var copy = self
        copy.visibility = GameVisibility(kindCount: schema.kinds.count)
        return copy
    }

    private static func integer(_ value: LuaValue, default fallback: Int, range: ClosedRange<Int>,
                                error: (String) -> GameError) throws(GameError) -> Int {
        if value == .nil { return fallback }
        guard let d = value.asDouble, d == d.rounded(), d >= Double(range.lowerBound), d <= Double(range.upperBound) else {
            throw error(value.rendered)
        }
        return Int(d)
    }

    /// Runs the game's top level and copies out the table it returns.
    private static func readDeclaration(source: String, chunkName: String, folder: String, limits: LuaLimits) throws(GameError) -> LuaValue {
        do {
            let lua = try LuaState(limits: limits)
            try lua.installSandbox(LuaSandbox(seed: 0, moduleRoot: folder, displayRoot: folder))
            try lua.load(source: source, chunkName: chunkName)
            try lua.call(arguments: 0, results: 1)
            let value = lua.stack.value(at: -1, depth: 8)
            guard case .table = value else {
                throw GameError(location: "\(chunkName):\(source.split(separator: "\n", omittingEmptySubsequences: false).count)",
                                message: "game.lua must end with `return game` (a table), but it returned \(value.typeName)")
            }
            return value
        } catch let error as LuaError {
            throw GameError(error)
        } catch let error as GameError {
            throw error
        } catch {
            throw GameError(location: chunkName, message: "\(error)")
        }
    }
}
