import FuzzSupport
import Protocol
import ProtocolTestSupport

/// `ReplayDecoder`: a replay file's header and every chunk (docs/replay.md).
///
/// Each input is read twice: as it is, and with every chunk's checksum made
/// good (and a last chunk that claims more than is there cut to what is
/// there), because a mutated payload almost never keeps its checksum and
/// the records behind it would otherwise stay out of reach.
///
/// What reads (the header and the whole chunks before the end, a cut or an
/// error) must keep the format's bounds, must be written back by
/// `ReplayEncoder` to a file that reads the same, whole, and writing that
/// again must give the same bytes. A refusal must name an offset inside the
/// file; a cut must be where the file really ends inside a chunk.
enum FuzzReplay: FuzzTarget {
    static let name = "FuzzReplay"

    static func check(_ input: [UInt8]) {
        read(input, what: "replay file")
        let repaired = withGoodChecksums(input)
        if repaired != input { read(repaired, what: "replay file with good checksums") }
    }

    static func read(_ input: [UInt8], what: String) {
        let header: ReplayHeader
        var chunks: [[ReplayRecord]] = []
        do {
            var decoder = try ReplayDecoder(bytes: input)
            header = decoder.header
            do {
                while let records = try decoder.nextRecords() {
                    if let problem = violation(records, header: header) {
                        FuzzFailure.report("\(what): chunk \(chunks.count + 1) read as a record outside the format: \(problem)", input: input)
                    }
                    chunks.append(records)
                }
                if let cut = decoder.truncatedAt, !endsInsideAChunk(input, at: cut) {
                    FuzzFailure.report("\(what): read as cut at byte \(cut), but a whole chunk starts there", input: input)
                }
            } catch {
                guard (0...input.count).contains(error.offset) else {
                    FuzzFailure.report("\(what): refused at byte \(error.offset), outside its \(input.count) bytes", input: input)
                }
            }
        } catch {
            guard (0...input.count).contains(error.offset) else {
                FuzzFailure.report("\(what): refused at byte \(error.offset), outside its \(input.count) bytes", input: input)
            }
            return
        }

        let bytes = encode(header, chunks)
        var again: [[ReplayRecord]] = []
        let second: ReplayDecoder
        do {
            var decoder = try ReplayDecoder(bytes: bytes)
            while let records = try decoder.nextRecords() { again.append(records) }
            second = decoder
        } catch {
            FuzzFailure.report("\(what) read, but its re-encoding (\(FuzzFailure.hex(bytes.prefix(256)))…) is refused: \(error)", input: input)
        }
        guard second.truncatedAt == nil else { FuzzFailure.report("\(what) re-encoded reads as cut at \(second.truncatedAt!)", input: input) }
        guard same(second.header, header) else {
            FuzzFailure.report("\(what): header read as \(header), but its re-encoding reads as \(second.header)", input: input)
        }
        guard again == chunks else {
            FuzzFailure.report("\(what): chunks read as \(chunks), but their re-encoding reads as \(again)", input: input)
        }
        guard encode(second.header, again) == bytes else { FuzzFailure.report("\(what): the same log encodes two ways", input: input) }
    }

    static func encode(_ header: ReplayHeader, _ chunks: [[ReplayRecord]]) -> [UInt8] {
        var encoder = ReplayEncoder(inputWidth: header.inputWidth)
        return chunks.reduce(ReplayEncoder.start(header)) { $0 + encoder.chunk($1) }
    }

    /// Headers equal, parameters that are numbers compared by their bits
    /// (a NaN is not equal to itself).
    static func same(_ a: ReplayHeader, _ b: ReplayHeader) -> Bool {
        var (x, y) = (a, b)
        (x.params, y.params) = ([], [])
        guard x == y, a.params.count == b.params.count else { return false }
        return zip(a.params, b.params).allSatisfy { p, q in
            guard p.key == q.key else { return false }
            if case .number(let d) = p.value, case .number(let e) = q.value { return d.bitPattern == e.bitPattern }
            return p.value == q.value
        }
    }

    /// What is wrong with records a reader returned (nil: nothing), by the
    /// bounds of docs/replay.md, written apart from the decoder.
    static func violation(_ records: [ReplayRecord], header: ReplayHeader) -> String? {
        let players = 0...65535, ticks = 0...(1 << 40)
        for record in records {
            switch record {
            case .advance(let n) where !(1...(1 << 40) + 1).contains(n): return "advance of \(n) ticks"
            case .command(.input(let p, _, let v), _) where !(1...65535).contains(p) || v.count != header.inputWidth:
                return "input of player \(p) with \(v.count) values"
            case .command(.input(_, _, let v), _) where v.contains(.min): return "input value Int64.min"
            case .command(.join(let name, let account), let seat) where !players.contains(seat) || name.utf8.count > 1024
                || (account?.utf8.count ?? 0) > 1024:
                return "join seat \(seat)"
            case .command(.leave(let p), _) where !players.contains(p), .command(.resume(let p), _) where !players.contains(p):
                return "leave or resume of player \(p)"
            case .command(.clientEvent(let p, let e, let v, let t), _)
            where !players.contains(p) || !(0...4096).contains(e) || v.count > 4096 || t.count > 4096
                || t.indices.contains { t.bytes(at: $0).count > 65536 }:
                return "client event \(e) of player \(p)"
            case .checkpoint(let t, _) where !ticks.contains(t), .cpuBudgetEnded(let t, _) where !ticks.contains(t),
                 .end(let t, _, _) where !ticks.contains(t):
                return "tick \(t)"
            case .timeLimit(let call, _, let message, _) where call < 0 || message.utf8.count > 65536: return "time limit of call \(call)"
            case .file(let path, _, let contents) where path.utf8.count > 1024 || contents.count > 4 << 20:
                return "file of \(contents.count) bytes"
            default: continue
            }
        }
        return nil
    }

    /// Whether the file really ends inside the chunk at `offset`: fewer than
    /// 8 bytes left, or fewer than the chunk's length claims.
    static func endsInsideAChunk(_ bytes: [UInt8], at offset: Int) -> Bool {
        guard offset >= 0, offset < bytes.count else { return false }
        guard bytes.count - offset >= 8 else { return true }
        return u32(bytes, offset) > bytes.count - offset - 8
    }

    /// `input` with each chunk's checksum made good; a last chunk claiming
    /// more than is left (within the chunk limit) is cut to what is left.
    static func withGoodChecksums(_ input: [UInt8]) -> [UInt8] {
        var bytes = input
        var offset = ReplayFile.prefixBytes
        while bytes.count - offset >= 8 {
            var length = u32(bytes, offset)
            if length > bytes.count - offset - 8 {
                length = bytes.count - offset - 8
                guard length <= ReplayFile.maxChunkBytes else { break }
                put(UInt32(length), into: &bytes, at: offset)
            } else if length > ReplayFile.maxChunkBytes {
                break
            }
            put(ReplayFile.checksum(bytes[(offset + 8)..<(offset + 8 + length)]), into: &bytes, at: offset + 4)
            offset += 8 + length
        }
        return bytes
    }

    static func u32(_ bytes: [UInt8], _ at: Int) -> Int {
        Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24
    }

    static func put(_ value: UInt32, into bytes: inout [UInt8], at offset: Int) {
        for i in 0..<4 { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> UInt32(8 * i)) }
    }

    /// A small match as a recorder writes it (the rules file, joins, runs of
    /// inputs sorted by player, checkpoints, a call stopped by the clock, the
    /// end); random logs of every record kind at the format's edges; a file
    /// of only its header; and a file cut inside its last chunk.
    static func seeds() -> [[UInt8]] {
        let match = ReplayHeader(
            engineVersion: "tickwire 0.11 (Lua 5.4.6)", game: "arena", gameName: "Arena", matchID: "m-1", origin: "bots",
            startedAtMilliseconds: 1_796_000_000_000, seed: 42,
            params: [.init(key: "bots", value: .number(4)), .init(key: "mode", value: .string("duel")), .init(key: "teams", value: .bool(false))],
            tickRate: 30, maxPlayers: 8, inputWidth: 3, checkpointEvery: 3,
            limits: .init(memoryBytes: 64 << 20, timeLimitNanoseconds: 250_000_000, instructionLimit: 0, failuresToEnd: 3,
                          maxEntities: 10_000, inputQueueCapacity: 8, snapshotHistory: 64, cpuSharePerMillion: 500_000,
                          cpuWindowNanoseconds: 1_000_000_000))
        let rules = Array("local game = { name = \"Arena\", tick_rate = 30 }\nreturn game\n".utf8)
        func input(_ p: Int, _ s: UInt32, _ v: [Int64]) -> ReplayRecord { .command(.input(player: p, sequence: s, values: v), seat: 0) }
        let chunks: [[ReplayRecord]] = [
            [.file(path: "game.lua", hash: 0x0123_4567_89ab_cdef, contents: rules),
             .command(.join(name: "Ann", account: nil), seat: 1), .command(.join(name: "Bob", account: "acct-2"), seat: 2)],
            [.advance(ticks: 1), input(1, 1, [1, 0, -3]), input(2, 1, [0, 0, 0]), .advance(ticks: 2),
             .checkpoint(tick: 3, hash: 0xfeed_f00d_dead_beef), input(1, 2, [1, 0, -3]), input(2, 2, [0, 1, 0]),
             .timeLimit(call: 17, location: "game.lua:40", message: "time limit of 250 ms exceeded", traceback: nil),
             .advance(ticks: 1)],
            [.command(.clientEvent(player: 2, event: 0, values: [5], strings: StringTable([Array("gg".utf8)])), seat: 0),
             .command(.leave(player: 2), seat: 0), .advance(ticks: 2), .checkpoint(tick: 6, hash: 7),
             .command(.stop, seat: 0), .end(tick: 6, hash: 0x1111_2222_3333_4444, outcome: "stopped: {\"winner\":1}")],
        ]
        var seeds = [encode(match, chunks), encode(match, [])]
        let whole = encode(match, chunks)
        seeds.append(Array(whole.dropLast(5)))
        var rng = SplitMix64(seed: 0x5eed)
        for _ in 0..<6 {
            let header = RandomReplay.header(&rng, inputWidth: rng.int(0...4))
            let records = RandomReplay.records(&rng, count: rng.int(5...40), inputWidth: header.inputWidth)
            let cut = rng.int(0...records.count)
            seeds.append(encode(header, [Array(records[..<cut]), Array(records[cut...])]))
        }
        return seeds
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzReplay.check(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

#if FUZZING
@_cdecl("FuzzReplay_main")
func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    FuzzCommand.libFuzzerMain(FuzzReplay.self, argc, argv, entry: fuzz)
}
#else
@main enum Replay {
    static func main() { FuzzCommand.replay(FuzzReplay.self) }
}
#endif
