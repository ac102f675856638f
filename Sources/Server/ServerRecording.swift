import Engine
import Foundation
import Logging

/// Recording every match a server runs (`tickwire serve --record DIR`):
/// one replay file per match in a bounded folder, flushed every second of
/// play. A file that cannot be made, or a write that fails, stops that
/// match's recording with one log line; the match plays on.
public enum ServerRecording {
    /// The `ServerConfiguration.makeMatchLog` that records into `folder`.
    public static func makeLog(folder: RecordingFolder, logger: Logger)
        -> @Sendable (_ matchID: String, _ game: GameDefinition, _ options: MatchOptions) -> (any MatchLog)? {
        { matchID, game, options in
            var logger = logger
            logger[metadataKey: "match"] = "\(matchID)"
            logger[metadataKey: "game"] = "\(game.name)"
            let name = "\(URL(fileURLWithPath: game.folder).lastPathComponent)-\(timestamp())-\(matchID)"
            do {
                let file = try folder.create(named: name)
                let settings = MatchRecorder.Settings(matchID: matchID, origin: "serve", flushEveryTicks: game.tickRate)
                return MatchRecorder(game: game, options: options, settings: settings, sink: file) { [logger] reason in
                    logger.warning("match not recorded further", metadata: ["reason": "\(reason)", "file": "\(file.path)"])
                }
            } catch {
                logger.warning("match not recorded", metadata: ["reason": "\(error)"])
                return nil
            }
        }
    }

    /// UTC, sortable: 20261204-211530.
    private static func timestamp() -> String {
        var t = time(nil)
        var parts = tm()
        gmtime_r(&t, &parts)
        return String(format: "%04d%02d%02d-%02d%02d%02d", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
                      Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
    }
}
