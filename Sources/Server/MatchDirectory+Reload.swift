import Engine
import Logging
import NIOCore

/// Reloading a game's rules while the server runs (`serve --dev`/`--watch`).
extension MatchDirectory {
    /// What one reload did.
    struct ReloadReport: Sendable {
        let game: String
        /// Why the new rules were refused (file:line: message), or nil.
        let error: String?
        /// Each running match of the game, by id: what the reload did to it.
        let matches: [String: MatchHost.ReloadOutcome]
    }

    /// Loads `folder` again as the game `key` and validates it as
    /// `tickwire check` does before its smoke match (the rules load, the
    /// schemas are valid, `game.init` runs). If that fails, the game keeps
    /// serving the rules it had (a game that never loaded stays listed
    /// with its error), and the error is logged with file:line. If it
    /// loads, new matches use it and every running match of the game is
    /// moved to it (`MatchHost.reload`), each on its own thread. Runs Lua:
    /// call it off the socket loops (the watcher's thread).
    func reload(game key: String, folder: String) -> EventLoopFuture<ReloadReport> {
        let loop = group.next()
        let loaded: GameDefinition
        do {
            loaded = try GameDefinition.load(folder: folder, limits: options.limits)
            var scratch = options
            scratch.log = { _ in }
            scratch.logLine = nil
            _ = try Match(game: loaded, options: scratch)
        } catch {
            let served = catalog.withLockedValue { catalog -> Bool in
                if catalog.games[key] != nil {
                    catalog.reloadErrors[key] = "\(error)"
                    return true
                }
                catalog.broken[key] = "\(error)"
                return false
            }
            logger.error(served ? "reload refused: the game keeps its previous rules" : "game does not load",
                         metadata: ["game": "\(key)", "error": "\(error)"])
            return loop.makeSucceededFuture(ReloadReport(game: key, error: "\(error)", matches: [:]))
        }
        let isNew = catalog.withLockedValue { catalog -> Bool in
            let isNew = catalog.games[key] == nil
            catalog.games[key] = loaded
            catalog.broken[key] = nil
            catalog.reloadErrors[key] = nil
            return isNew
        }
        let hosts = state.withLockedValue { Array($0.hosts.values) }.filter { $0.gameKey == key && $0.playback == nil }
        logger.notice(isNew ? "game loaded" : "game reloaded", metadata: ["game": "\(key)", "matches": "\(hosts.count)"])
        for warning in loaded.warnings { logger.warning("\(warning)", metadata: ["game": "\(key)"]) }
        let reloads = hosts.map { host in
            (host.thread.submit { host.reload(to: loaded) } ?? loop.makeSucceededFuture(.notRunning))
                .map { (host.id, $0) }
        }
        return EventLoopFuture.whenAllComplete(reloads, on: loop).map { results in
            var matches: [String: MatchHost.ReloadOutcome] = [:]
            for case .success(let (id, outcome)) in results { matches[id] = outcome }
            return ReloadReport(game: key, error: nil, matches: matches)
        }
    }
}
