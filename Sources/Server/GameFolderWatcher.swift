import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Notices saved edits to game folders, for hot reload (`serve --dev`).
///
/// Polls, on a thread of its own, the size and modification time of every
/// file under each watched game folder (names starting with "." are
/// skipped: editor and tool files), and the games root for new game
/// folders. A change is reported once the folder has looked the same for
/// two polls in a row, so an editor's save in several writes is one
/// reload. Polling needs no platform API and costs a few `stat` calls per
/// file per poll; folders are bounded (`maxFiles`, `maxDepth`).
final class GameFolderWatcher: @unchecked Sendable {
    /// A game folder's files: path → (size, modification time in ns).
    typealias Fingerprint = [String: [Int64]]

    static let maxFiles = 2_000
    static let maxDepth = 8

    private let root: String?
    private let interval: DispatchTimeInterval
    private let changed: @Sendable (_ game: String, _ folder: String) -> Void
    private let queue = DispatchQueue(label: "tickwire.game-watcher")
    private var timer: DispatchSourceTimer?
    // Confined to `queue`:
    private var folders: [String: String]
    private var seen: [String: Fingerprint] = [:]
    private var settling: [String: Fingerprint] = [:]

    /// Watches `folders` (game name → folder) and, when `root` is given,
    /// any new folder of `root` holding a game.lua; `changed` is called on
    /// the watcher's thread.
    init(root: String?, folders: [String: String], interval: DispatchTimeInterval = .milliseconds(150),
         changed: @escaping @Sendable (_ game: String, _ folder: String) -> Void) {
        self.root = root
        self.folders = folders
        self.interval = interval
        self.changed = changed
    }

    func start() {
        queue.sync {
            for (game, folder) in folders { seen[game] = Self.fingerprint(of: folder) }
            let timer = DispatchSource.makeTimerSource(queue: queue)
            timer.schedule(deadline: .now() + interval, repeating: interval)
            timer.setEventHandler { [weak self] in self?.poll() }
            timer.resume()
            self.timer = timer
        }
    }

    deinit { timer?.cancel() }

    func stop() {
        queue.sync {
            timer?.cancel()
            timer = nil
        }
    }

    private func poll() {
        if let root { discoverGames(in: root) }
        for (game, folder) in folders.sorted(by: { $0.key < $1.key }) {
            let now = Self.fingerprint(of: folder)
            guard now != seen[game] else {
                settling[game] = nil
                continue
            }
            guard settling[game] == now else {
                settling[game] = now
                continue
            }
            settling[game] = nil
            seen[game] = now
            changed(game, folder)
        }
    }

    /// New game folders under `root` are watched from their first poll on
    /// (with no fingerprint yet, so they load once they settle).
    private func discoverGames(in root: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: root) else { return }
        for name in names where folders[name] == nil && !name.hasPrefix(".") {
            let folder = (root as NSString).appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: folder + "/game.lua") { folders[name] = folder }
        }
    }

    /// Every file under `folder` that is not hidden, with its size and
    /// modification time.
    static func fingerprint(of folder: String) -> Fingerprint {
        var prints: Fingerprint = [:]
        func walk(_ path: String, depth: Int) {
            guard depth <= maxDepth, let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { return }
            for name in names.sorted() where !name.hasPrefix(".") && prints.count < maxFiles {
                let full = path + "/" + name
                var info = stat()
                guard lstat(full, &info) == 0 else { continue }
                if (info.st_mode & S_IFMT) == S_IFDIR {
                    walk(full, depth: depth + 1)
                } else if (info.st_mode & S_IFMT) == S_IFREG {
                    prints[full] = [Int64(info.st_size), Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)]
                }
            }
        }
        walk(folder, depth: 0)
        return prints
    }
}
