import Engine
import Foundation
import NIOConcurrencyHelpers
import NIOCore

/// A recording played as a match that clients spectate
/// (`tickwire replay FILE --serve`): the host steps the replay instead of
/// taking commands from players, at `speed` times the game's tick rate, and
/// holds still while paused or once the recording is over (so the last state
/// stays on screen).
///
/// A seek plays the recording to the tick asked for: forwards from where it
/// is, or, behind it, from the start in a fresh match (a replay cannot run
/// backwards; it replays some 20 000 ticks a second).
///
/// `replay` is touched only on the match's thread; the control and the
/// status are behind a lock, for `GET`/`POST /replay` from any thread.
final class ReplayPlayback: @unchecked Sendable {
    /// Replaced by a seek backwards (a new match from the recording's start).
    private(set) var replay: MatchReplay
    /// The options the replay was started with, for a seek's fresh match.
    private let options: MatchOptions
    private let state: NIOLockedValueBox<Status>

    /// What `GET /replay` answers.
    struct Status: Codable, Equatable, Sendable {
        var match: String
        var game: String
        var file: String
        var tick: Int
        /// The recording's last tick (read before it plays: its end
        /// record's, or the last a file cut short reaches).
        var lastTick: Int?
        var paused: Bool
        var speed: Double
        var finished: Bool
        /// Where the replay departed from the recording, if it did.
        var divergence: String?
    }

    /// Speeds a playback may run at.
    static let speeds = 0.05...64.0

    init(replay: MatchReplay, options: MatchOptions, match: String, file: String, speed: Double) {
        self.replay = replay
        self.options = options
        state = NIOLockedValueBox(Status(match: match, game: replay.header.game, file: file, tick: replay.tick, lastTick: replay.recording.lastTick,
                                         paused: false, speed: min(max(speed, Self.speeds.lowerBound), Self.speeds.upperBound),
                                         finished: false, divergence: nil))
    }

    var status: Status { state.withLockedValue { $0 } }

    /// Applies a control request; returns the status after it.
    func control(_ request: ReplayControlRequest) -> Status {
        state.withLockedValue { status in
            if let paused = request.paused { status.paused = paused }
            if let speed = request.speed { status.speed = speed }
            return status
        }
    }

    /// On the match's thread, once per tick of the host: steps the replay
    /// unless paused or over. Returns the time until the next tick.
    func tick(period: Duration) -> Duration {
        let (paused, speed) = state.withLockedValue { ($0.paused, $0.speed) }
        if !paused, !replay.isFinished {
            do {
                try replay.stepOnce()
            } catch {
                state.withLockedValue { $0.divergence = "\(error)" }
            }
        }
        publishProgress()
        return period / speed
    }

    /// On the match's thread: plays the recording to `target` (or to its
    /// end, if it ends before), calling `progress` after every replayed
    /// tick so a watchdog sees work going on. Returns true when the replay
    /// is a new match (the target was behind), whose session the host must
    /// take. Throws when the fresh match cannot start (its rules fail to
    /// load); the replay then stays where it was.
    func seek(to target: Int, progress: () -> Void) throws -> Bool {
        var replaced = false
        if target < replay.tick {
            replay = try MatchReplay(recording: replay.recording, game: replay.game, options: options)
            replaced = true
            state.withLockedValue { $0.divergence = nil }
        }
        while replay.tick < target, !replay.isFinished {
            do {
                try replay.stepOnce()
            } catch {
                state.withLockedValue { $0.divergence = "\(error)" }
                break
            }
            progress()
        }
        publishProgress()
        return replaced
    }

    private func publishProgress() {
        let end = replay.recordedEnd?.tick
        let divergence = replay.divergence?.description
        state.withLockedValue { status in
            status.tick = replay.tick
            status.lastTick = end ?? status.lastTick
            status.finished = replay.isFinished
            if let divergence { status.divergence = divergence }
        }
    }
}

/// The body of `POST /replay`: `{"paused": true}`, `{"speed": 2}`,
/// `{"seek": 120}`, or several at once.
struct ReplayControlRequest: Equatable, Sendable {
    var paused: Bool?
    var speed: Double?
    /// The tick to play the recording to (0 is the start).
    var seek: Int?

    /// The furthest tick a seek may name: far beyond any recording (ticks
    /// are varints below 2^31 on the wire), small enough to be a plain Int.
    static let maxSeek = 0x7fff_ffff

    static func parse(_ body: ByteBuffer) -> Result<ReplayControlRequest, HTTPRefusal> {
        decodeJSONBody(body, as: Parsed.self, example: #"(expected {"paused": true}, {"speed": 2} or {"seek": 120})"#).map(\.request)
    }

    private struct Parsed: Decodable {
        var request = ReplayControlRequest()

        init(from decoder: Decoder) throws {
            let object = try decoder.container(keyedBy: JSONKey.self)
            if let unknown = object.allKeys.map(\.stringValue).sorted().first(where: { !["paused", "speed", "seek"].contains($0) }) {
                throw JSONBodyProblem(message: "unknown field \"\(unknown)\"")
            }
            let paused = JSONKey(stringValue: "paused"), speed = JSONKey(stringValue: "speed"), seek = JSONKey(stringValue: "seek")
            if object.contains(paused) {
                guard let flag = try? object.decode(Bool.self, forKey: paused) else { throw JSONBodyProblem(message: "\"paused\" must be true or false") }
                request.paused = flag
            }
            if object.contains(speed) {
                guard let number = try? object.decode(Double.self, forKey: speed), ReplayPlayback.speeds.contains(number) else {
                    throw JSONBodyProblem(message: "\"speed\" must be a number from \(ReplayPlayback.speeds.lowerBound) to \(ReplayPlayback.speeds.upperBound)")
                }
                request.speed = number
            }
            if object.contains(seek) {
                guard let tick = try? object.decode(Int.self, forKey: seek), (0...ReplayControlRequest.maxSeek).contains(tick) else {
                    throw JSONBodyProblem(message: "\"seek\" must be a whole tick from 0 to \(ReplayControlRequest.maxSeek)")
                }
                request.seek = tick
            }
        }
    }
}
