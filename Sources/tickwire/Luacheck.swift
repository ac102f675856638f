import Dispatch
import Engine
import Foundation

/// luacheck (Debian's `lua-check`) over a game folder, for `tickwire check`:
/// its findings become warnings, "games/x/game.lua:12:5: warning: … (luacheck W113)".
///
/// Optional by design: without `luacheck` on PATH nothing is said. It runs
/// in the game's folder (so `files["bot.lua"]` and `exclude_files` in the
/// settings mean that folder's files) with the folder's `.luacheckrc`, or
/// the generated settings when there is none. It is killed after
/// `timeout` seconds, and at most `maxWarnings` findings are reported, so a
/// stuck or very chatty run cannot hold up or flood `check`.
enum Luacheck {
    static let timeout: TimeInterval = 20
    static let maxWarnings = 100
    /// What is read of luacheck's output; far more than `maxWarnings` lines.
    static let maxOutputBytes = 256 * 1024

    /// The `luacheck` on PATH, if any.
    static var executable: URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":").map { URL(fileURLWithPath: String($0)).appendingPathComponent("luacheck") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    /// The warnings luacheck finds in `game`'s folder; empty when luacheck
    /// is not installed.
    static func warnings(for game: GameDefinition) -> [String] {
        guard let luacheck = executable else { return [] }
        let folder = URL(fileURLWithPath: game.folder)
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("tickwire-luacheck-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        var config = folder.appendingPathComponent(".luacheckrc")
        do {
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
            if !FileManager.default.fileExists(atPath: config.path) {
                config = scratch.appendingPathComponent("luacheckrc")
                try Data(EditorFiles.luacheckConfig(for: game).utf8).write(to: config)
            }
        } catch {
            return ["\(game.folder): warning: luacheck was not run: \(error)"]
        }
        let output = scratch.appendingPathComponent("output")
        let run: (status: Int32, timedOut: Bool)
        do {
            run = try self.run(luacheck, ["--config", config.path, "--formatter", "plain", "--codes", "--no-color", "."],
                               in: folder, output: output)
        } catch {
            return ["\(game.folder): warning: luacheck was not run: \(error)"]
        }
        let text = (try? FileHandle(forReadingFrom: output)).flatMap { handle in
            defer { try? handle.close() }
            return try? handle.read(upToCount: maxOutputBytes)
        }.map { String(decoding: $0, as: UTF8.self) } ?? ""
        if run.timedOut {
            return ["\(game.folder): warning: luacheck was stopped after \(Int(timeout)) s"]
        }
        var warnings: [String] = []
        var lines = text.split(separator: "\n").map(String.init)
        if text.utf8.count >= maxOutputBytes, !lines.isEmpty { lines.removeLast() }   // perhaps cut short
        for line in lines {
            if let warning = finding(line, folder: game.folder) { warnings.append(warning) }
        }
        // 0: clean, 1: warnings, 2: errors (syntax); more: luacheck itself failed.
        if run.status > 2 {
            let reason = lines.first { finding($0, folder: game.folder) == nil } ?? "status \(run.status)"
            warnings.append("\(game.folder): warning: luacheck failed: \(reason)")
        }
        if warnings.count > maxWarnings {
            let more = warnings.count - maxWarnings
            warnings = Array(warnings.prefix(maxWarnings))
            warnings.append("\(game.folder): warning: … and \(more) more luacheck findings")
        }
        return warnings
    }

    /// "game.lua:3:1: (W111) setting non-standard global variable 'x'" as
    /// "FOLDER/game.lua:3:1: warning: setting non-standard global variable 'x' (luacheck W111)".
    static func finding(_ line: String, folder: String) -> String? {
        guard let open = line.range(of: ": ("), let close = line.range(of: ") ", range: open.upperBound..<line.endIndex)
        else { return nil }
        let place = String(line[..<open.lowerBound])
        let parts = place.split(separator: ":")
        guard parts.count >= 3, parts.suffix(2).allSatisfy({ Int($0) != nil }) else { return nil }
        let code = line[open.upperBound..<close.lowerBound]
        let message = line[close.upperBound...]
        let file = place.hasPrefix("./") ? String(place.dropFirst(2)) : place
        return "\(folder)/\(file): warning: \(message) (luacheck \(code))"
    }

    /// Runs `executable` in `folder` with its output (both streams) in
    /// `output`; kills it, by its own PID, after `timeout`.
    private static func run(_ executable: URL, _ arguments: [String], in folder: URL,
                            output: URL) throws -> (status: Int32, timedOut: Bool) {
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let sink = try FileHandle(forWritingTo: output)
        defer { try? sink.close() }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = folder
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = sink
        process.standardError = sink
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
        if exited.wait(timeout: .now() + timeout) == .timedOut {
            kill(process.processIdentifier, SIGKILL)
            exited.wait()
            return (process.terminationStatus, true)
        }
        return (process.terminationStatus, false)
    }
}
