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
/// `replay` is touched only on the match's thread; the control and the
/// status are behind a lock, for `GET`/`POST /replay` from any thread.
final class ReplayPlayback: @unchecked Sendable {
    let replay: MatchReplay
    private let state: NIOLockedValueBox<Status>

    /// What `GET /replay` answers.
    struct Status: Codable, Equatable, Sendable {
        var match: String
        var game: String
        var file: String
        var tick: Int
        /// The recording's last tick, when it ends with an end record.
        var lastTick: Int?
        var paused: Bool
        var speed: Double
        var finished: Bool
        /// Where the replay departed from the recording, if it did.
        var divergence: String?
    }

    /// Speeds a playback may run at.
    static let speeds = 0.05...64.0

    init(replay: MatchReplay, match: String, file: String, speed: Double) {
        self.replay = replay
        state = NIOLockedValueBox(Status(match: match, game: replay.header.game, file: file, tick: replay.tick, lastTick: nil,
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
        let end = replay.recordedEnd?.tick
        let divergence = replay.divergence?.description
        state.withLockedValue { status in
            status.tick = replay.tick
            status.lastTick = end
            status.finished = replay.isFinished
            if let divergence { status.divergence = divergence }
        }
        return period / speed
    }
}

/// The body of `POST /replay`: `{"paused": true}`, `{"speed": 2}`, or both.
struct ReplayControlRequest: Equatable, Sendable {
    var paused: Bool?
    var speed: Double?

    static func parse(_ body: ByteBuffer) -> Result<ReplayControlRequest, HTTPRefusal> {
        let example = #"(expected {"paused": true} or {"speed": 2})"#
        do {
            return .success(try JSONDecoder().decode(Parsed.self, from: Data(body.readableBytesView)).request)
        } catch let problem as JSONBodyProblem {
            return .failure(HTTPRefusal(.badRequest, "\(problem.message) \(example)"))
        } catch {
            return .failure(HTTPRefusal(.badRequest, "the body must be a JSON object \(example)"))
        }
    }

    private struct Parsed: Decodable {
        var request = ReplayControlRequest()

        init(from decoder: Decoder) throws {
            let object = try decoder.container(keyedBy: JSONKey.self)
            if let unknown = object.allKeys.map(\.stringValue).sorted().first(where: { $0 != "paused" && $0 != "speed" }) {
                throw JSONBodyProblem(message: "unknown field \"\(unknown)\"")
            }
            let paused = JSONKey(stringValue: "paused"), speed = JSONKey(stringValue: "speed")
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
        }
    }
}
