import Engine
import Lua

/// The bots of one match: `bot.lua` in a sandboxed Lua state of its own,
/// shown each tick the same decoded state a network client would see, and
/// asked for each bot's input.
///
/// Like a match, a brain belongs to one thread. A bot's Lua error costs that
/// bot its turn (input and client events) for the tick and is counted; it
/// never touches the match.
public final class BotBrain {
    let lua: LuaState
    let schema: GameSchema
    let view, think, add, remove, event, unknown: LuaRef
    public private(set) var errorCount = 0
    public private(set) var firstError: GameError?
    /// What works but is likely a mistake, each once, as
    /// "bot.lua:line: warning: …": an input or client event field the game
    /// does not declare (`{ dirr = 1 }` for `dir`), which would otherwise be
    /// dropped without a word.
    public internal(set) var warnings: [String] = []
    let log: @Sendable (String) -> Void
    let idKey: LuaKey
    private let inputCodecs: [LuaQuantizer]
    let clientEventCodecs: [[LuaQuantizer]]
    let botChunkName: String
    let botLocator: SourceLocator

    public init(game: GameDefinition, seed: Int64, limits: LuaLimits = LuaLimits(),
                log: @escaping @Sendable (String) -> Void = { _ in }) throws(GameError) {
        guard let botSource = game.botSource else {
            throw GameError(location: nil, message: "\(game.folder) has no bot.lua: write one returning { think = function(view, me) ... end }")
        }
        schema = game.schema
        inputCodecs = game.schema.input.map(\.type.luaQuantizer)
        clientEventCodecs = game.schema.clientEvents.map { $0.fields.map(\.type.luaQuantizer) }
        botChunkName = game.botChunkName
        botLocator = SourceLocator(source: botSource, chunkName: game.botChunkName)
        self.log = log
        do throws(LuaError) {
            let lua = try LuaState(limits: limits)
            self.lua = lua
            try lua.installSandbox(LuaSandbox(seed: seed, moduleRoot: game.folder, displayRoot: game.folder, print: log))
            let stack = lua.stack
            let schema = game.schema
            try lua.load(source: BotPrelude.source, chunkName: BotPrelude.chunkName)
            try lua.call(arguments: 0, results: 1)
            func field(_ name: String) throws(LuaError) -> LuaRef {
                let key = try lua.key(name)
                defer { lua.release(key) }
                stack.rawGet(table: -1, key: key)
                return try stack.ref()
            }
            let (view, think, add, remove) = (try field("view"), try field("think"), try field("add"), try field("remove"))
            (self.view, self.think, self.add, self.remove) = (view, think, add, remove)
            (event, unknown) = (try field("event"), try field("unknown"))
            let setup = try field("setup")
            stack.pop()
            idKey = try lua.key("id")

            stack.push(setup)
            try lua.load(source: botSource, chunkName: game.botChunkName)
            try lua.call(arguments: 0, results: 1)
            try stack.push(strings: schema.kinds.map(\.name))
            try stack.push(stringLists: schema.kinds.map { $0.fields.map(\.name) })
            try stack.push(strings: schema.match.fields.map(\.name))
            try stack.push(strings: schema.events.map(\.name))
            try stack.push(stringLists: schema.events.map { $0.fields.map(\.name) })
            try stack.push(strings: schema.input.map(\.name))
            try stack.push(strings: schema.clientEvents.map(\.name))
            try stack.push(stringLists: schema.clientEvents.map { $0.fields.map(\.name) })
            stack.push(Match.clientEventQueueLimit)
            try lua.call(arguments: 10, results: 0)
            lua.release(setup)
        } catch {
            throw GameError(error)
        }
    }

    /// Gives a bot its persistent `me` table.
    public func add(playerID: Int, name: String) {
        let stack = lua.stack
        stack.push(add)
        stack.push(playerID)
        do throws(LuaError) {
            try stack.push(string: name)
            try lua.call(arguments: 2, results: 0)
        } catch {
            record(error)
        }
    }

    public func remove(playerID: Int) {
        lua.stack.push(remove)
        lua.stack.push(playerID)
        do throws(LuaError) { try lua.call(arguments: 1, results: 0) } catch { record(error) }
    }

    /// Builds this tick's `view` from a snapshot.
    public func observe(_ snapshot: Snapshot) {
        let stack = lua.stack
        let base = stack.top
        defer { stack.setTop(base) }
        var needed = 3 + snapshot.match.count + schema.kinds.count + 3 * snapshot.events.count
        for e in snapshot.entities { needed += 1 + schema.kinds[Int(e.kind)].fields.count }
        for e in snapshot.events { needed += schema.events[Int(e.kind)].fields.count }
        guard stack.reserve(Int32(clamping: needed + 8)) else {
            log("bots: the view of tick \(snapshot.tick) is too large to build")
            return
        }
        do throws(LuaError) {
            stack.push(view)
            stack.push(snapshot.tick)
            let strings = snapshot.strings
            try push(snapshot.match[...], schema.match.quantizers, strings)
            var perKind = [Int](repeating: 0, count: schema.kinds.count)
            for e in snapshot.entities { perKind[Int(e.kind)] += 1 }
            for (k, kind) in schema.kinds.enumerated() {
                stack.push(perKind[k])
                for e in snapshot.entities where Int(e.kind) == k {
                    stack.push(Int64(e.id))
                    try push(snapshot.fields(at: e.offset, count: kind.quantizers.count), kind.quantizers, strings)
                }
            }
            stack.push(snapshot.events.count)
            for event in snapshot.events {
                let codecs = schema.events[Int(event.kind)].quantizers
                stack.push(event.to)
                stack.push(Int(event.kind) + 1)
                try push(snapshot.fields(at: event.offset, count: codecs.count), codecs, strings)
            }
            try lua.call(arguments: stack.top - base - 1, results: 0)
        } catch {
            record(error)
        }
    }

    private func push(_ values: ArraySlice<Int64>, _ codecs: [Quantizer], _ strings: StringTable) throws(LuaError) {
        var i = values.startIndex
        for codec in codecs {
            try lua.stack.push(field: values[i], codec: codec, strings: strings)
            i += 1
        }
    }

    /// The bot's turn for this tick: its input, quantized in `schema.input`
    /// order (nil when it sends none), and its client events. A failed
    /// `think`, or a client event that does not fit the game's
    /// `client_events`, is a counted bot error and the turn is `.nothing`.
    public func think(playerID: Int) -> BotTurn {
        let stack = lua.stack
        let base = stack.top
        defer { stack.setTop(base) }
        let width = schema.input.count
        _ = stack.reserve(Int32(width + 6))
        stack.push(think)
        stack.push(playerID)
        do throws(LuaError) {
            try lua.call(arguments: 1, results: Int32(width + 3))
        } catch {
            record(error)
            return .nothing
        }
        let events = Int(stack.integer(at: base + 2) ?? 0)
        let unknownKeys = Int(stack.integer(at: base + 3) ?? 0)
        var input: [Int64]?
        if stack.truthy(at: base + 1) {
            var strings = StringTable()
            var values: [Int64] = []
            values.reserveCapacity(width)
            for (i, codec) in inputCodecs.enumerated() {
                values.append(stack.quantize(at: base + 4 + Int32(i), codec: codec, strings: &strings, idKey: idKey.ref).0)
            }
            input = values
        }
        stack.setTop(base)
        if unknownKeys > 0 { warnOfUnknownKeys(unknownKeys) }
        guard events > 0 else { return BotTurn(input: input) }
        do throws(GameError) {
            return BotTurn(input: input, clientEvents: try clientEvents(events))
        } catch {
            record(error)
            return .nothing
        }
    }

    func record(_ error: LuaError) { record(GameError(error)) }

    func record(_ failure: GameError) {
        errorCount += 1
        guard firstError == nil else { return }
        // Errors the engine raises about what think returned carry no line;
        // they are still about bot.lua.
        let located = failure.location != nil ? failure
            : GameError(location: botChunkName, message: failure.message, traceback: failure.traceback, kind: failure.kind)
        firstError = located
        log("bot error: \(located)")
    }
}
