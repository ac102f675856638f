/// A Lua value copied out into Swift, for reading declarations and results
/// (not for hot paths). Tables keep their entries in a stable order: integer
/// keys ascending, then string keys by byte order, then the rest in traversal
/// order, so nothing built from a `LuaValue` depends on Lua's hash seed.
public indirect enum LuaValue: Sendable, Equatable {
    case `nil`
    case boolean(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case table([Entry])
    case function
    case other(String)

    public struct Entry: Sendable, Equatable {
        public let key: LuaValue
        public let value: LuaValue
    }

    public var typeName: String {
        switch self {
        case .nil: "nil"
        case .boolean: "boolean"
        case .integer, .number: "number"
        case .string: "string"
        case .table: "table"
        case .function: "function"
        case .other(let name): name
        }
    }

    public subscript(key: String) -> LuaValue {
        guard case .table(let entries) = self else { return .nil }
        return entries.first { $0.key == .string(key) }?.value ?? .nil
    }

    public subscript(index: Int) -> LuaValue {
        guard case .table(let entries) = self else { return .nil }
        return entries.first { $0.key == .integer(Int64(index)) }?.value ?? .nil
    }

    public var entries: [Entry] {
        if case .table(let entries) = self { return entries }
        return []
    }

    /// Values at 1, 2, ... up to the first gap.
    public var array: [LuaValue] {
        var result: [LuaValue] = []
        while case let value = self[result.count + 1], value != .nil { result.append(value) }
        return result
    }

    public var asDouble: Double? {
        switch self {
        case .integer(let v): Double(v)
        case .number(let v): v
        default: nil
        }
    }

    public var asString: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// A compact, deterministic rendering (Lua-like) for reports.
    public var rendered: String {
        switch self {
        case .nil: return "nil"
        case .boolean(let b): return String(b)
        case .integer(let i): return String(i)
        case .number(let d): return d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
        case .string(let s): return "\"\(s)\""
        case .function: return "function"
        case .other(let name): return name
        case .table(let entries):
            let parts = entries.enumerated().map { index, entry -> String in
                if entry.key == .integer(Int64(index + 1)) { return entry.value.rendered }
                if case .string(let s) = entry.key, s.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) {
                    return "\(s) = \(entry.value.rendered)"
                }
                return "[\(entry.key.rendered)] = \(entry.value.rendered)"
            }
            return "{ " + parts.joined(separator: ", ") + (parts.isEmpty ? "}" : " }")
        }
    }
}

extension LuaValue: Comparable {
    /// Order used for table keys: numbers, then strings, then anything else.
    public static func < (a: LuaValue, b: LuaValue) -> Bool {
        switch (a, b) {
        case let (x, y) where x.asDouble != nil && y.asDouble != nil: return x.asDouble! < y.asDouble!
        case (_, _) where a.asDouble != nil: return true
        case (_, _) where b.asDouble != nil: return false
        case (.string(let x), .string(let y)): return Array(x.utf8).lexicographicallyPrecedes(Array(y.utf8))
        case (.string, _): return true
        default: return false
        }
    }
}

extension LuaStack {
    /// Copies the value at `index` out of Lua, tables up to `depth` levels deep
    /// and `maxEntries` entries in all (deeper or larger parts become `.other`).
    public func value(at index: Int32, depth: Int = 16, maxEntries: Int = 10_000) -> LuaValue {
        var budget = maxEntries
        return value(at: absolute(index), depth: depth, budget: &budget)
    }

    private func value(at index: Int32, depth: Int, budget: inout Int) -> LuaValue {
        switch type(at: index) {
        case .nil, .none: return .nil
        case .boolean: return .boolean(truthy(at: index))
        case .number:
            if let i = integer(at: index), isInteger(at: index) { return .integer(i) }
            return .number(number(at: index) ?? 0)
        case .string: return .string(string(at: index) ?? "")
        case .function: return .function
        case .table:
            guard depth > 0, reserve(4) else { return .other("table (too deep)") }
            var entries: [LuaValue.Entry] = []
            pushNil()
            while next(table: index) {
                budget -= 1
                if budget < 0 { pop(2); return .other("table (too large)") }
                let key = value(at: top - 1, depth: 0, budget: &budget)
                let value = value(at: top, depth: depth - 1, budget: &budget)
                entries.append(LuaValue.Entry(key: key, value: value))
                pop()
            }
            entries.sort { $0.key < $1.key }
            return .table(entries)
        case let other: return .other(other.name)
        }
    }
}
