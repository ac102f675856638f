import Engine
import Lua

/// The client events a bot's `think` returns as its second value, read back
/// from Lua and checked as a client's encoder would check them: a declared
/// event, each value of its field's type, strings in UTF-8. What a client
/// could not send is a bot error, so a bot never sends what a server would
/// refuse or a player could not.
extension BotBrain {
    /// The `count` client events the last `think` sent, as messages ready to
    /// send or apply.
    func clientEvents(_ count: Int) throws(GameError) -> [ClientEventMessage] {
        let stack = lua.stack
        let width = clientEventCodecs.map(\.count).max() ?? 0
        var messages: [ClientEventMessage] = []
        messages.reserveCapacity(count)
        for j in 1...count {
            let base = stack.top
            defer { stack.setTop(base) }
            guard stack.reserve(Int32(width + 4)) else {
                throw GameError(location: nil, message: "no room on the Lua stack for client event \(j)")
            }
            stack.push(event)
            stack.push(j)
            do throws(LuaError) {
                try lua.call(arguments: 1, results: Int32(width + 1))
            } catch {
                throw GameError(error)
            }
            guard let number = stack.integer(at: base + 1), clientEventCodecs.indices.contains(Int(number) - 1) else {
                throw GameError(location: nil, message: "client event \(j) was lost on its way out of bot.lua")
            }
            let index = Int(number) - 1
            let declaration = schema.clientEvents[index]
            var strings = StringTable()
            var values: [Int64] = []
            values.reserveCapacity(declaration.fields.count)
            for (i, codec) in clientEventCodecs[index].enumerated() {
                let slot = base + 2 + Int32(i)
                let field = declaration.fields[i]
                let (value, ok) = stack.quantize(at: slot, codec: codec, strings: &strings, idKey: idKey.ref)
                guard ok else {
                    let type = stack.type(at: slot)
                    let holds = type == .number ? "a number it cannot hold (NaN or infinite)" : "a \(type.name)"
                    throw GameError(location: nil, message: "client event \(j) (\(declaration.name)): data.\(field.name) "
                                    + "is declared \(field.type) but holds \(holds)")
                }
                if case .string = field.type, String(validating: strings[Int(value)], as: UTF8.self) == nil {
                    throw GameError(location: nil, message: "client event \(j) (\(declaration.name)): data.\(field.name) "
                                    + "is not valid UTF-8 text")
                }
                values.append(value)
            }
            messages.append(ClientEventMessage(event: index, values: values, strings: strings))
        }
        return messages
    }

    /// Records a warning for each of the `count` undeclared keys the last
    /// `think` used for the first time.
    func warnOfUnknownKeys(_ count: Int) {
        let stack = lua.stack
        for i in 1...count {
            let base = stack.top
            defer { stack.setTop(base) }
            stack.push(unknown)
            stack.push(i)
            guard (try? lua.call(arguments: 1, results: 1)) != nil, let key = stack.string(at: base + 1) else { continue }
            warnings.append(warning(forUndeclared: key))
        }
    }

    /// "bot.lua:line: warning: …" for an undeclared input field (`dirr`) or
    /// client event field (`say.txt`), with the declared name it most likely
    /// meant; the line is the first that assigns the key.
    func warning(forUndeclared key: String) -> String {
        let text: String, field: String, candidates: [String]
        if let dot = key.firstIndex(of: ".") {
            let name = String(key[..<dot])
            field = String(key[key.index(after: dot)...])
            candidates = schema.clientEvent(named: name)?.fields.map(\.name) ?? []
            text = "think sent client event \(name) with data.\(field), which game.client_events.\(name) does not declare"
        } else {
            field = key
            candidates = schema.input.map(\.name)
            text = candidates.isEmpty ? "think returned input field '\(key)', but the game declares no game.input"
                : "think returned input field '\(key)', which game.input does not declare"
        }
        let hint = GameDefinition.likelyMeant(field, among: candidates).map { " (did you mean \($0)?)" } ?? " (it is not sent)"
        let location = botLocator.location(ofAssignment: field) ?? botChunkName
        return "\(location): warning: \(text)\(hint)"
    }
}
