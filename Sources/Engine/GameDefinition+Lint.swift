import Lua

/// What a game declares that works but is most likely a mistake: a
/// misspelled callback is not an error Lua could raise (Tickwire just never
/// calls it), so `tickwire check` says so, with "did you mean".
extension GameDefinition {
    /// The keys Tickwire reads from the game table.
    static let knownKeys = ["name", "tick_rate", "send_rate", "max_players", "empty_timeout", "state", "input", "events",
                            "client_events", "init", "join", "leave", "tick", "result", "event", "reload",
                            "visible", "interest", "spectators"]
    public static let callbackNames = ["init", "join", "leave", "tick", "result", "event", "reload"]

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

    /// The name among `candidates` that `key` most likely meant: the nearest
    /// within two edits (`leaves`, `tik`, `spwan`), or, when `partsToo`, a
    /// candidate that is one of its `_`-separated parts (`on_event`).
    /// Callbacks are the default candidates.
    public static func likelyMeant(_ key: String, among candidates: [String] = callbackNames, partsToo: Bool = true) -> String? {
        let lower = key.lowercased()
        if let close = candidates.map({ ($0, editDistance(lower, $0)) }).filter({ $0.1 <= 2 }).min(by: { $0.1 < $1.1 }) {
            return close.0
        }
        guard partsToo else { return nil }
        return candidates.first { name in
            lower.split(whereSeparator: { $0 == "_" }).contains { $0 == name || $0 == name + "s" }
        }
    }

    /// Edits (insert, delete, replace, or swap two neighbours) that turn `a`
    /// into `b`: a swap counts as one, since `spwan` is one slip of the fingers.
    public static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        // d[i][j]: distance between a's first i and b's first j characters.
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[a.count][b.count]
    }
}
