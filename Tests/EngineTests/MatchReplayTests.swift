import Foundation
import Protocol
import Testing
@testable import Engine
import Lua
import TestSupport

/// A match recorded through its session plays back to the same hashes; a
/// change of rules, a missing module, a cut file and a stopped call each get
/// the answer a tester needs.
@Suite struct MatchReplayTests {
    /// Plays `game` with scripted commands, recording into memory.
    func record(_ game: GameDefinition, options: MatchOptions = MatchOptions(seed: 7), ticks: Int = 95,
                checkpointEvery: Int = 10, flushEvery: Int? = 20,
                script: (MatchSession) -> Void = { _ in }) throws -> (bytes: [UInt8], session: MatchSession) {
        let sink = MemoryReplaySink()
        let recorder = MatchRecorder(game: game, options: options,
                                     settings: .init(matchID: "m1", origin: "test", flushEveryTicks: flushEvery,
                                                     checkpointEvery: checkpointEvery),
                                     sink: sink)
        let session = try MatchSession(game: game, options: options, log: recorder, checkpointEvery: checkpointEvery)
        session.apply(.join(name: "Ann", account: nil))
        session.apply(.join(name: "nobody", account: nil))
        session.apply(.join(name: "Bob", account: "acct-b"))
        var sequence: [Int: UInt32] = [:]
        for t in 1...ticks where session.isRunning {
            for player in [2, 1] {
                sequence[player, default: 0] += 1
                let dx = Int64((t * player) % 7) - 3
                // Input fields in schema order: boost, dx.
                session.apply(.input(player: player, sequence: sequence[player]!, values: [t % 3 == 0 ? 1 : 0, t % 5 == 0 ? 0 : dx]))
            }
            if t == 40 { session.apply(.leave(player: 2)) }
            if t == 41 { session.apply(.join(name: "Cy", account: nil)) }
            if t == 50 { session.apply(.resume(player: 1)) }
            script(session)
            session.step()
        }
        session.end()
        return (sink.bytes, session)
    }

    @Test func aRecordedMatchReplaysToTheSameHashAtEveryCheckpoint() throws {
        let fixture = try GameFixture(game: movingShips)
        let game = try fixture.load()
        let (bytes, original) = try record(game)
        let replay = try MatchReplay(recording: Recording(bytes: bytes), game: game)
        #expect(replay.fileDifferences.isEmpty)
        try replay.run()
        #expect(replay.divergence == nil, "\(String(describing: replay.divergence))")
        #expect(replay.checkpointsChecked == 9)
        #expect(replay.tick == original.tick)
        #expect(replay.session.match.stateHash == original.match.stateHash)
        #expect(replay.recordedEnd?.hash == original.match.stateHash.value)
        #expect(replay.session.match.players.map(\.name) == original.match.players.map(\.name))
    }

    @Test func aChangedConstantDivergesAtTheTickItFirstMatters() throws {
        let fixture = try GameFixture(game: movingShips)
        let (bytes, _) = try record(try fixture.load())
        let changed = try GameFixture(game: movingShips.replacingOccurrences(of: "input.boost and 2 or 1", with: "input.boost and 3 or 1"))
        let replay = try MatchReplay(recording: Recording(bytes: bytes), game: try changed.load())
        #expect(replay.fileDifferences == ["\(changed.path)/game.lua differs from the recorded one"])
        try replay.run()
        // Tick 1 is the first with boost (1 % 3 != 0 → boost at 3): dx at tick 3 is nonzero for both.
        #expect(replay.divergence?.tick == 3, "\(String(describing: replay.divergence))")
        #expect(replay.divergence?.reference != nil)
    }

    @Test func aTruncatedFileReplaysToItsLastWholeChunkAndSaysSo() throws {
        let fixture = try GameFixture(game: movingShips)
        let game = try fixture.load()
        let (bytes, _) = try record(game)
        let cut = Array(bytes.prefix(bytes.count - 5))
        let replay = try MatchReplay(recording: Recording(bytes: cut), game: game)
        try replay.run()
        #expect(replay.divergence == nil)
        #expect(replay.truncatedAt != nil)
        #expect(replay.recordedEnd == nil)
        #expect(replay.tick == 80)   // flushed every 20 ticks; the last chunk (81...95 and the end) is cut
    }

    @Test func aDamagedFileIsRefusedAtTheOffsetOfTheDamage() throws {
        let fixture = try GameFixture(game: movingShips)
        let game = try fixture.load()
        var (bytes, _) = try record(game)
        bytes[bytes.count - 3] ^= 0x40
        #expect(throws: ReplayFileError.self) { try Recording(bytes: bytes) }
        do { _ = try Recording(bytes: bytes) } catch {
            #expect(error.message.contains("checksum"))
            #expect(error.offset > 10 && error.offset < bytes.count)
        }
        #expect(throws: ReplayFileError(offset: 0, "not a Tickwire replay (it does not start with TWREPLAY)")) {
            try Recording(bytes: Array("hello".utf8))
        }
    }

    @Test func aGameFileTooBigToKeepIsRecordedByItsHashAndStillChecked() throws {
        let big = movingShips + "\n-- " + String(repeating: "x", count: ReplayLimits.maxFileBytes) + "\n"
        let fixture = try GameFixture(game: big)
        let (bytes, _) = try record(try fixture.load(), ticks: 20)
        let recording = try Recording(bytes: bytes)
        #expect(recording.files.first?.isKept == false)
        #expect(recording.differences(folder: fixture.path).isEmpty)
        let replay = try MatchReplay(recording: recording, game: try fixture.load())
        try replay.run()
        #expect(replay.divergence == nil && replay.recordedEnd != nil)
        let changed = try GameFixture(game: big.replacingOccurrences(of: "-- xxx", with: "-- yxx"))
        #expect(recording.differences(folder: changed.path) == ["\(changed.path)/game.lua differs from the recorded one"])
    }

    @Test func aFullFolderStopsTheRecordingOnceAndTheMatchPlaysOn() throws {
        let fixture = try GameFixture(game: movingShips)
        let game = try fixture.load()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tw-full-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let folder = try RecordingFolder(path: path, maxBytes: 3000)
        let file = try folder.create(named: "full")
        let reasons = LogLines()
        let options = MatchOptions(seed: 5)
        let recorder = MatchRecorder(game: game, options: options,
                                     settings: .init(matchID: "m", origin: "test", flushEveryTicks: 5), sink: file,
                                     stopped: reasons.sink)
        let session = try MatchSession(game: game, options: options, log: recorder)
        session.apply(.join(name: "Ann", account: nil))
        for t in 1...2000 {
            session.apply(.input(player: 1, sequence: UInt32(t), values: [Int64(t % 2), Int64(t % 7) - 3]))   // boost, dx
            session.step()
        }
        session.end()
        #expect(session.tick == 2000 && session.match.status.isRunning)
        #expect(reasons.lines.count == 1, "\(reasons.lines)")
        #expect(reasons.lines.first?.contains("is at its limit of") == true, "\(reasons.lines)")
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: file.path)))
        #expect(bytes.count <= 3000, "\(bytes.count)")
        let replay = try MatchReplay(recording: Recording(bytes: bytes), game: game)
        try replay.run()
        #expect(replay.divergence == nil && replay.recordedEnd == nil && replay.tick > 0 && replay.tick < 2000, "\(replay.tick)")
    }

    @Test func aMissingModuleIsNamedUpFront() throws {
        let rules = movingShips.replacingOccurrences(of: "local ships = {}", with: "local ships = {}\nlocal helper = require(\"lib.helper\")")
        let fixture = try GameFixture(["game.lua": rules, "lib/helper.lua": "return { k = 1 }"])
        let (bytes, _) = try record(try fixture.load(), ticks: 10)
        let without = try GameFixture(["game.lua": rules])
        let recording = try Recording(bytes: bytes)
        #expect(recording.files.map(\.path) == ["game.lua", "lib/helper.lua"])
        #expect(recording.differences(folder: without.path) == ["\(without.path)/lib/helper.lua is missing (the recorded rules read it)"])
        #expect(throws: GameError.self) { try without.load() }
    }

    @Test func aCallStoppedByTheTimeLimitFailsAgainAtTheSameTickAndTheRestReplays() throws {
        let rules = scriptedGame(tick: """
            match.n = match.tick
            for id, input in pairs(inputs) do match.n = match.n + input.dx end
            if match.tick == 6 then while true do end end
            """)
        let fixture = try GameFixture(game: rules)
        let game = try fixture.load()
        let options = MatchOptions(seed: 3, limits: LuaLimits(timeLimit: .milliseconds(50)), failurePolicy: .skipTick)
        let (bytes, original) = try record(game, options: options, ticks: 30, checkpointEvery: 1)
        #expect(original.match.failures.first?.tick == 6)
        #expect(original.match.failures.first?.error.kind == .timeLimit)
        let replay = try MatchReplay(recording: Recording(bytes: bytes), game: game)
        try replay.run()
        #expect(replay.divergence == nil, "\(String(describing: replay.divergence))")
        #expect(replay.checkpointsChecked == 30)
        #expect(replay.session.match.failures.first?.tick == 6)
        #expect(replay.session.match.failures.first?.error.kind == .timeLimit)
    }
}
