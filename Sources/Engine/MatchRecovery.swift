import Protocol

/// A match rebuilt from its command log so that it can go on elsewhere (a
/// cluster node taking over the matches of a node that died).
///
/// The log is replayed to its last tick and checked against every state
/// hash it holds; a log that is damaged, ends the match, diverges, or was
/// written by other rules is refused, with why. The recovered session then
/// plays on, and `continuation` extends the same log, so the log of a match
/// that moved still replays whole from its first tick.
public struct MatchRecovery {
    /// The match at the log's last tick, running, with no log attached
    /// (`MatchSession.continueLog(with:)`).
    public let session: MatchSession
    public let header: ReplayHeader
    /// Extends the log from its end (`MatchRecorder(continuing:…)`).
    public let continuation: ReplayEncoder
    /// Recorded state hashes the replay matched, and the tick of the last.
    public let checkpointsChecked: Int
    public let verifiedTick: Int?

    /// Why a match could not be recovered from its log.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Replays `log` into a match of `game` (which must have the recorded
    /// files), with the recorded seed, params and limits as `options` gives
    /// them, stopping with a failure past `deadline`. What the replayed
    /// ticks `print` is not logged again; from the return on it is.
    public static func recover(log: [UInt8], game: GameDefinition, options: (ReplayHeader) -> MatchOptions,
                               deadline: ContinuousClock.Instant) throws(Failure) -> MatchRecovery {
        let recording: Recording
        do {
            recording = try Recording(bytes: log)
        } catch {
            throw Failure(description: "the log does not read: \(error)")
        }
        let replay: MatchReplay
        do {
            replay = try MatchReplay(recording: recording, game: game, options: options(recording.header), mutesReplayedLines: true)
        } catch {
            throw Failure(description: "the match does not start from its log: \(error)")
        }
        guard replay.fileDifferences.isEmpty else {
            throw Failure(description: "this node's rules differ from the ones the match ran: "
                          + replay.fileDifferences.joined(separator: "; "))
        }
        do {
            while !replay.isFinished {
                guard ContinuousClock.now < deadline else {
                    throw Failure(description: "replaying the log took too long (tick \(replay.tick) of \(recording.lastTick))")
                }
                try replay.stepOnce()
            }
        } catch let error as Failure {
            throw error
        } catch {
            throw Failure(description: "the log does not read at tick \(replay.tick): \(error)")
        }
        if let divergence = replay.divergence {
            throw Failure(description: "the replay departed from the log at \(divergence)")
        }
        if let end = replay.recordedEnd {
            throw Failure(description: "the match had ended at tick \(end.tick) (\(end.outcome))")
        }
        guard replay.session.isRunning else {
            throw Failure(description: "the match is over after its log (\(replay.session.match.status.summary))")
        }
        replay.unmute()
        return MatchRecovery(session: replay.session, header: recording.header, continuation: replay.continuation,
                             checkpointsChecked: replay.checkpointsChecked, verifiedTick: replay.lastCheckpoint)
    }
}
