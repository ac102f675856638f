import Foundation
import Protocol
import Testing
@testable import Engine
import TestSupport

/// A match rebuilt from its log where the log was cut (a node that died):
/// it reaches the same state, goes on to the same hashes as the match it
/// replaces, and its log, extended, replays whole; a log it cannot trust is
/// refused with why.
@Suite struct MatchRecoveryTests {
    /// The same commands for every session, tick by tick.
    static func play(_ session: MatchSession, tick t: Int) {
        if t == 1 {
            session.apply(.join(name: "Ann", account: nil))
            session.apply(.join(name: "Bob", account: "acct-b"))
        }
        for player in [2, 1] {
            let dx = Int64((t * player) % 7) - 3
            session.apply(.input(player: player, sequence: UInt32(t), values: [t % 3 == 0 ? 1 : 0, dx]))
        }
        if t == 70 { session.apply(.resume(player: 2)) }
        session.step()
    }

    /// The bytes `sink` holds once its recorder's writer has written up to
    /// tick `tick` (it writes on a queue of its own).
    static func bytes(of sink: MemoryReplaySink, reaching tick: Int) throws -> [UInt8] {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            let bytes = sink.bytes
            if let recording = try? Recording(bytes: bytes), recording.lastTick >= tick { return bytes }
            Thread.sleep(forTimeInterval: 0.005)
        }
        throw MatchRecovery.Failure(description: "the recorder did not write tick \(tick)")
    }

    static func settings() -> MatchRecorder.Settings {
        .init(matchID: "m1", origin: "test", flushEveryTicks: 20, checkpointEvery: 10)
    }

    /// A match of `game` (seed 7) recording into memory.
    static func recorded(_ game: GameDefinition) throws -> (MatchSession, MemoryReplaySink) {
        let options = MatchOptions(seed: 7)
        let sink = MemoryReplaySink()
        let session = try MatchSession(game: game, options: options,
                                       log: MatchRecorder(game: game, options: options, settings: settings(), sink: sink),
                                       checkpointEvery: 10)
        return (session, sink)
    }

    @Test func aMatchRecoveredFromItsCutLogGoesOnToTheSameHashesAndItsLogReplaysWhole() throws {
        let game = try GameFixture(game: movingShips).load()
        let (original, sink) = try Self.recorded(game)
        for t in 1...60 { Self.play(original, tick: t) }
        let hashAt60 = original.match.stateHash
        // The node dies here: what reached the database ends at tick 60.
        let cut = try Self.bytes(of: sink, reaching: 60)

        let recovery = try MatchRecovery.recover(log: cut, game: game, options: { $0.replayOptions }, deadline: .now + .seconds(30))
        let recovered = recovery.session
        #expect(recovered.tick == 60)
        #expect(recovered.match.stateHash == hashAt60)
        #expect(recovery.verifiedTick == 60)
        #expect(recovery.checkpointsChecked == 6)
        #expect(recovered.match.players.map(\.name) == ["Ann", "Bob"])

        // It logs on where the cut log ends.
        let extended = MemoryReplaySink()
        try extended.write(cut)
        #expect(recovered.continueLog(with: MatchRecorder(continuing: recovery.continuation, game: game, options: recovered.options,
                                                          settings: Self.settings(), sink: extended)))
        for t in 61...95 {
            Self.play(original, tick: t)
            Self.play(recovered, tick: t)
        }
        #expect(recovered.match.stateHash == original.match.stateHash)
        recovered.end()
        original.end()

        let replay = try MatchReplay(recording: Recording(bytes: extended.bytes), game: game)
        try replay.run()
        #expect(replay.divergence == nil, "\(String(describing: replay.divergence))")
        #expect(replay.checkpointsChecked == 9)
        #expect(replay.recordedEnd?.hash == original.match.stateHash.value)
    }

    @Test func aLogItCannotTrustIsRefusedWithWhy() throws {
        let fixture = try GameFixture(game: movingShips)
        let game = try fixture.load()
        let (session, sink) = try Self.recorded(game)
        for t in 1...40 { Self.play(session, tick: t) }
        let cut = try Self.bytes(of: sink, reaching: 40)
        func failure(_ log: [UInt8], _ game: GameDefinition) -> String? {
            do {
                _ = try MatchRecovery.recover(log: log, game: game, options: { $0.replayOptions }, deadline: .now + .seconds(30))
                return nil
            } catch {
                return error.description
            }
        }
        var damaged = cut
        damaged[damaged.count - 3] ^= 0xff
        #expect(failure(damaged, game)?.contains("does not read") == true, "\(failure(damaged, game) ?? "recovered")")
        #expect(failure(Array("not a log".utf8), game)?.contains("does not read") == true)

        let changed = try GameFixture(game: movingShips.replacingOccurrences(of: "input.boost and 2 or 1", with: "input.boost and 3 or 1"))
        #expect(failure(cut, try changed.load())?.contains("rules differ") == true)

        session.end()
        let ended = try Self.bytes(of: sink, reaching: 40)
        #expect(failure(ended, game)?.contains("had ended") == true, "\(failure(ended, game) ?? "recovered")")
    }
}
