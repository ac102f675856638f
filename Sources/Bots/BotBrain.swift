import Engine
import Lua

/// The bots of one match: `bot.lua` in a sandboxed Lua state of its own,
/// shown each tick the same decoded state a network client would see, and
/// asked for each bot's input.
///
/// Like a match, a brain belongs to one thread. A bot's Lua error costs that
/// bot its input for the tick and is counted; it never touches the match.
public final class BotBrain {
    let lua: LuaState
    let schema: GameSchema
    let view, think, add, remove: LuaRef
    public private(set) var errorCount = 0
    public private(set) var firstError: GameError?
    private let log: @Sendable (String) -> Void
    private let idKey: LuaKey
    private let inputCodecs: [LuaQuantizer]
    private let botChunkName: String

    public init(game: GameDefinition, seed: Int64, limits: LuaLimits = LuaLimits(),
                log: @escaping @Sendable (String) -> Void = { _ in }) throws(GameError) {
        guard let botSource = game.botSource else {
            throw GameError(location: nil, message: "\(game.folder) has no bot.lua: write one returning { think = function(view, me) ... end }")
        }
        schema = game.schema
        inputCodecs = game.schema.input.map(\.type.luaQuantizer)
        botChunkName = game.botChunkName
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
            try lua.call(arguments: 7, results: 0)
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

    /// The bot's input for this tick, quantized in `schema.input` order, or
    /// nil when it sends none (or its `think` failed).
    public func think(playerID: Int) -> [Int64]? {
        let stack = lua.stack
        let base = stack.top
        defer { stack.setTop(base) }
        let width = schema.input.count
        _ = stack.reserve(Int32(width + 4))
        stack.push(think)
        stack.push(playerID)
        do throws(LuaError) {
            try lua.call(arguments: 1, results: Int32(width + 1))
        } catch {
            record(error)
            return nil
        }
        guard stack.truthy(at: base + 1) else { return nil }
        var strings = StringTable()
        var input: [Int64] = []
        input.reserveCapacity(width)
        for (i, codec) in inputCodecs.enumerated() {
            input.append(stack.quantize(at: base + 2 + Int32(i), codec: codec, strings: &strings, idKey: idKey.ref).0)
        }
        return input
    }

    private func record(_ error: LuaError) {
        errorCount += 1
        guard firstError == nil else { return }
        let failure = GameError(error)
        // Errors the engine raises about what think returned carry no line;
        // they are still about bot.lua.
        firstError = failure.location != nil ? failure
            : GameError(location: botChunkName, message: failure.message, traceback: failure.traceback, kind: failure.kind)
        log("bot error: \(firstError!)")
    }
}
