import Lua

/// What a game declares that works but is most likely a mistake: a
/// misspelled callback is not an error Lua could raise (Tickwire just never
/// calls it), so `tickwire check` says so, with "did you mean".
extension GameDefinition {
    /// The keys Tickwire reads from the game table.
    static let knownKeys = ["name", "tick_rate", "max_players", "state", "input", "events", "client_events",
                            "init", "join", "leave", "tick", "result", "event"]
    static let callbackNames = ["init", "join", "leave", "tick", "result", "event"]

    /// Warnings about `game`, each "file:line: warning: …".
    static func lint(_ game: LuaValue, locator: SourceLocator) -> [String] {
        guard case .table(let entries) = game else { return [] }
        var warnings: [String] = []
        let keys = entries.compactMap { $0.key.asString }.sorted()
        for key in keys where !knownKeys.contains(key) {
            guard let value = entries.first(where: { $0.key.asString == key })?.value,
                  value == .function, let meant = likelyMeant(key) else { continue }
            warnings.append("\(locator.location(of: [key])): warning: Tickwire never calls game.\(key) (did you mean game.\(meant)?)")
        }
        if game["client_events"] != .nil, game["event"] == .nil {
            warnings.append("\(locator.location(of: ["client_events"])): warning: game.client_events is declared but there is no "
                + "game.event(match, player, name, data) to receive them")
        }
        return warnings
    }

    /// The callback a function-valued key most likely meant: one within two
    /// edits (`leaves`, `tik`), or a callback name inside it (`on_event`).
    static func likelyMeant(_ key: String) -> String? {
        let lower = key.lowercased()
        if let close = callbackNames.map({ ($0, editDistance(lower, $0)) }).filter({ $0.1 <= 2 }).min(by: { $0.1 < $1.1 }) {
            return close.0
        }
        return callbackNames.first { name in
            lower.split(whereSeparator: { $0 == "_" }).contains { $0 == name || $0 == name + "s" }
        }
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var row = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var previous = row[0]
            row[0] = i
            for j in stride(from: 1, through: b.count, by: 1) {
                let current = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return a.isEmpty ? b.count : row[b.count]
    }
}
