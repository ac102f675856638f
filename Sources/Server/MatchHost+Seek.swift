import Engine
import NIOCore

/// Seeking in a replay served as a match (`POST /replay {"seek": N}`).
///
/// The playback moves on the match's thread, between two of its ticks, and
/// every spectator's next frame is a full snapshot: a frame they hold
/// belongs to the timeline before the seek (after a seek backwards, to a
/// match that no longer exists), so it cannot be a baseline.
extension MatchHost {
    /// Why a seek was not done.
    struct SeekFailure: Error, CustomStringConvertible {
        let description: String
    }

    /// Plays the replay to `tick` and answers the playback's status after
    /// it. Fails when the match is not a replay, is gone, or the replay
    /// cannot restart (a seek backwards loads the rules again).
    func seek(to tick: Int) -> EventLoopFuture<ReplayPlayback.Status> {
        guard let playback else { return eventLoop.makeFailedFuture(SeekFailure(description: "match \(id) is not a replay")) }
        let submitted = thread.submit { [self] () throws -> ReplayPlayback.Status in
            guard !ended, !isAbandoned else { throw SeekFailure(description: "the replay has stopped") }
            let replaced: Bool
            do {
                replaced = try working(.seek) {
                    try playback.seek(to: tick) { busySince.store(NIODeadline.now().uptimeNanoseconds, ordering: .releasing) }
                }
            } catch {
                throw SeekFailure(description: "the replay could not restart from its first tick: \(error)")
            }
            if replaced {
                sessionBox.withLockedValue { $0 = playback.replay.session }
                resetCounters()
            }
            seating.timelineMoved(to: match.tick)
            publish()
            return playback.status
        }
        return submitted ?? eventLoop.makeFailedFuture(SeekFailure(description: "the replay has stopped"))
    }
}
