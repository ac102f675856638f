import Testing
@testable import Protocol
import ProtocolTestSupport

/// The replay file (docs/replay.md): `ReplayEncoder` → `ReplayDecoder` over
/// random logs, and a reader that survives any bytes: cut anywhere, a bit
/// flipped anywhere, lengths and counts claimed far past what is there.
@Suite struct ReplayFileTests {
    // MARK: Reading a whole file

    /// What a reader made of some bytes: the header and the chunks it read
    /// (before an error, if any), where the file was cut, and the error.
    struct Reading {
        var header: ReplayHeader?
        var chunks: [[ReplayRecord]] = []
        var truncatedAt: Int?
        var error: ReplayFileError?
    }

    static func read(_ bytes: [UInt8]) -> Reading {
        var reading = Reading()
        do {
            var decoder = try ReplayDecoder(bytes: bytes)
            reading.header = decoder.header
            while let records = try decoder.nextRecords() { reading.chunks.append(records) }
            reading.truncatedAt = decoder.truncatedAt
        } catch {
            reading.error = error
        }
        return reading
    }

    /// A file and where each of its parts starts: `starts[0]` is the
    /// header chunk's (10), `starts[i]` chunk i's; `starts.last` is the end.
    struct File {
        var bytes: [UInt8] = []
        var starts: [Int] = []

        init(_ header: ReplayHeader, _ chunks: [[ReplayRecord]]) {
            var encoder = ReplayEncoder(inputWidth: header.inputWidth)
            bytes = ReplayEncoder.start(header)
            starts = [ReplayFile.prefixBytes, bytes.count]
            for records in chunks {
                bytes += encoder.chunk(records)
                starts.append(bytes.count)
            }
        }
    }

    /// A random log cut into 0...`maxChunks` chunks, some of them empty.
    static func randomLog(_ rng: inout SplitMix64, maxRecords: Int, maxChunks: Int) -> (ReplayHeader, [[ReplayRecord]]) {
        let header = RandomReplay.header(&rng)
        let records = RandomReplay.records(&rng, count: rng.int(0...maxRecords), inputWidth: header.inputWidth)
        var chunks: [[ReplayRecord]] = []
        var rest = records[...]
        for _ in 0..<rng.int(0...maxChunks) {
            let n = rng.chance(0.1) ? 0 : rng.int(0...rest.count)
            chunks.append(Array(rest.prefix(n)))
            rest = rest.dropFirst(n)
        }
        if !rest.isEmpty { chunks.append(Array(rest)) }
        return (header, chunks)
    }

    /// A small header for hand-made files: every string empty, width 2.
    static let plainHeader = ReplayHeader(
        engineVersion: "", game: "", gameName: "", matchID: "", origin: "", startedAtMilliseconds: 0, seed: 0, params: [],
        tickRate: 30, maxPlayers: 8, inputWidth: 2, checkpointEvery: 30,
        limits: .init(memoryBytes: 0, timeLimitNanoseconds: 0, instructionLimit: 0, failuresToEnd: 0, maxEntities: 0,
                      inputQueueCapacity: 8, snapshotHistory: 64, cpuSharePerMillion: 0, cpuWindowNanoseconds: 0))

    // MARK: The bytes of the spec

    @Test func bytesFollowTheSpec() throws {
        #expect(ReplayFile.prefix() == [0x54, 0x57, 0x52, 0x45, 0x50, 0x4c, 0x41, 0x59, 0x01, 0x00])
        #expect(ReplayFile.checksum([]) == 0x811c_9dc5)
        #expect(ReplayFile.checksum(Array("a".utf8)[...]) == 0xe40c_292c)
        #expect(ReplayFile.checksum(Array("foobar".utf8)[...]) == 0xbf9c_f968)

        // The header, bit by bit as docs/replay.md has it: byte-aligned up to
        // count(params), a single 1 bit here, which shifts the rest.
        var bits = Bits()
        for _ in 0..<5 { bits.put(0, 8) }                     // five empty strings
        bits.put(0, 8)                                         // started at 0
        bits.put(0, 64)                                        // seed
        bits.put(1, 1)                                         // count(0 params) = gamma(1)
        for v: UInt64 in [30, 8, 2, 30] { bits.put(v, 8) }     // tick rate … checkpoint interval
        for _ in 0..<5 { bits.put(0, 8) }                     // memory, time, instructions, failures, entities
        bits.put(8, 8)                                         // input queue
        bits.put(64, 8)                                        // snapshot history
        bits.put(0, 8)                                         // CPU share
        bits.put(0, 8)                                         // CPU window
        let header = bits.bytes()
        #expect(header.count == 28)
        let start = ReplayEncoder.start(Self.plainHeader)
        #expect(start == ReplayFile.prefix() + le32(UInt32(header.count)) + le32(ReplayFile.checksum(header[...])) + header)

        // advance(3), stop: count(2) 011, tag 000, count(2) 011, tag 110 (0b011 low bit first) → 0x86 0x0d.
        var encoder = ReplayEncoder(inputWidth: 2)
        let chunk = encoder.chunk([.advance(ticks: 3), .command(.stop, seat: 0)])
        #expect(chunk == [0x02, 0x00, 0x00, 0x00] + le32(ReplayFile.checksum([0x86, 0x0d])) + [0x86, 0x0d])
        // No records: count(0) = 1, padded.
        #expect(encoder.chunk([]) == [0x01, 0x00, 0x00, 0x00] + le32(ReplayFile.checksum([0x01])) + [0x01])

        // Player 3's first input (0, -1), then the same values again at sequence 2:
        //   count(2)            011
        //   tag 1               100
        //   gap +3: zigzag 6    gamma(7) = 00 1 11
        //   step 0 (seq 1)      gamma(1) = 1
        //   same                0
        //   0: zigzag 0         1
        //   -1: zigzag 1        gamma(2) = 0 1 0
        //   tag 1               100
        //   gap +0 (player 3)   1
        //   step 0 (seq 2)      1
        //   same                1
        var expected = Bits()
        for bit in "011" + "100" + "00111" + "1" + "0" + "1" + "010" + "100" + "1" + "1" + "1" { expected.put(bit == "1" ? 1 : 0, 1) }
        var inputs = ReplayEncoder(inputWidth: 2)
        let records: [ReplayRecord] = [.command(.input(player: 3, sequence: 1, values: [0, -1]), seat: 0),
                                       .command(.input(player: 3, sequence: 2, values: [0, -1]), seat: 0)]
        #expect(Array(inputs.chunk(records).dropFirst(8)) == expected.bytes())
        var fresh = ReplayEncoder(inputWidth: 2)
        let file = start + fresh.chunk(records)
        let reading = Self.read(file)
        #expect(reading.error == nil && reading.header == Self.plainHeader && reading.chunks == [records])
    }

    // MARK: Round trips

    @Test func randomLogsRoundTripAcrossChunks() throws {
        var rng = SplitMix64(seed: 0x7e91)
        for _ in 0..<200 {
            let (header, chunks) = Self.randomLog(&rng, maxRecords: 300, maxChunks: 6)
            let file = File(header, chunks)
            let reading = Self.read(file.bytes)
            #expect(reading.error == nil, "\(String(describing: reading.error))")
            #expect(reading.truncatedAt == nil)
            #expect(reading.header == header)
            #expect(reading.chunks == chunks)
            // The encoder is a function of the log: the same log, the same bytes.
            #expect(File(header, chunks).bytes == file.bytes)
        }
    }

    @Test func whatAGameOrAClientMakesTooBigIsFittedNotTrapped() throws {
        // A designer's huge error in the outcome, a long account, a game
        // file past the reader's limit, and more records than a chunk holds.
        let huge = String(repeating: "é", count: ReplayLimits.maxTextBytes)
        let records: [ReplayRecord] = [
            .command(.join(name: huge, account: huge), seat: 1),
            .file(path: "game.lua", hash: 42, contents: Array(repeating: 7, count: ReplayLimits.maxFileBytes + 1)),
            .command(.clientEvent(player: 1, event: 0, values: [1], strings: StringTable([Array(repeating: 65, count: ReplayLimits.maxTextBytes + 9)])), seat: 0),
            .end(tick: 3, hash: 9, outcome: "failed: " + huge),
        ] + Array(repeating: ReplayRecord.advance(ticks: 1), count: ReplayFile.maxRecordsPerChunk / 16 + 5)
        let file = File(Self.plainHeader, [records])
        let reading = Self.read(file.bytes)
        #expect(reading.error == nil)
        #expect(reading.chunks.count == 2, "split where a chunk is full")
        let read = reading.chunks.joined().map { $0 }
        #expect(read.count == records.count)
        guard case .command(.join(let name, let account), 1) = read[0] else { Issue.record("\(read[0])"); return }
        #expect(name.utf8.count <= ReplayLimits.maxNameBytes && name.hasPrefix("éé") && account?.utf8.count ?? 0 <= ReplayLimits.maxNameBytes)
        #expect(read[1] == .file(path: "game.lua", hash: 42, contents: []), "kept by its hash alone")
        guard case .command(.clientEvent(_, _, _, let strings), _) = read[2] else { Issue.record("\(read[2])"); return }
        #expect(strings[0].count == ReplayLimits.maxTextBytes)
        guard case .end(3, 9, let outcome) = read[3] else { Issue.record("\(read[3])"); return }
        #expect(outcome.utf8.count <= ReplayLimits.maxTextBytes && outcome.hasPrefix("failed: é"))
    }

    @Test func headersRoundTrip() throws {
        var rng = SplitMix64(seed: 0x4ead)
        var headers = (0..<300).map { _ in RandomReplay.header(&rng) }
        // Every bound of docs/replay.md, at once.
        let name = String(repeating: "n", count: ReplayLimits.maxNameBytes)
        let text = String(repeating: "€", count: ReplayLimits.maxTextBytes / 3) + "x"
        var full = Self.plainHeader
        (full.engineVersion, full.game, full.gameName, full.matchID, full.origin) = (name, name, name, name, name)
        full.startedAtMilliseconds = .max
        full.seed = .min
        full.params = (0..<ReplayHeader.maxParams).map { (i: Int) -> ReplayHeader.Parameter in
            let value: ReplayHeader.Parameter.Value
            if i == 0 { value = .string(text) } else if i % 3 == 0 { value = .bool(true) } else { value = .number(Double(i) * -0.25) }
            return ReplayHeader.Parameter(key: i == 0 ? name : "k\(i)", value: value)
        }
        (full.tickRate, full.maxPlayers, full.inputWidth, full.checkpointEvery) = (120, 65535, ReplayLimits.maxValues, Int(Int32.max))
        full.limits = .init(memoryBytes: .max, timeLimitNanoseconds: .max, instructionLimit: .max, failuresToEnd: .max, maxEntities: .max,
                            inputQueueCapacity: 1 << 20, snapshotHistory: 1 << 20, cpuSharePerMillion: 1_000_000_000,
                            cpuWindowNanoseconds: .max)
        headers.append(full)
        for header in headers {
            let reading = Self.read(ReplayEncoder.start(header))
            #expect(reading.error == nil, "\(String(describing: reading.error))")
            #expect(reading.header == header)
            #expect(reading.chunks.isEmpty && reading.truncatedAt == nil)
        }
        // A NaN parameter keeps its bits (Equatable cannot say so).
        var nan = Self.plainHeader
        nan.params = [.init(key: "x", value: .number(Double(bitPattern: 0x7ff8_0000_0000_0bad)))]
        guard case .number(let d)? = Self.read(ReplayEncoder.start(nan)).header?.params.first?.value else {
            Issue.record("the NaN parameter did not come back")
            return
        }
        #expect(d.bitPattern == 0x7ff8_0000_0000_0bad)
    }

    @Test func edgeValuesRoundTrip() {
        let width = 4
        var header = Self.plainHeader
        header.inputWidth = width
        let records: [ReplayRecord] = [
            .advance(ticks: 1),
            .advance(ticks: ReplayLimits.maxTicks + 1),
            .command(.input(player: 65535, sequence: .max, values: [.max, .min + 1, 0, -1]), seat: 0),
            .command(.input(player: 1, sequence: 0, values: [.max, .min + 1, 0, -1]), seat: 0),   // gap -65534
            .command(.input(player: 65535, sequence: 0, values: [1, 2, 3, 4]), seat: 0),          // .max + 1 wraps to 0
            .command(.input(player: 65535, sequence: 1, values: [1, 2, 3, 4]), seat: 0),
            .command(.input(player: 1, sequence: 0x8000_0000, values: [0, 0, 0, 0]), seat: 0),    // step 2^31 - 1
            .command(.input(player: 1, sequence: 1, values: [0, 0, 0, 0]), seat: 0),              // step -2^31
            .command(.join(name: "", account: nil), seat: 0),
            .command(.join(name: "", account: ""), seat: 65535),
            .command(.leave(player: 0), seat: 0),
            .command(.resume(player: 65535), seat: 0),
            .command(.clientEvent(player: 0, event: 0, values: [], strings: StringTable()), seat: 0),
            .command(.clientEvent(player: 65535, event: ReplayLimits.maxValues, values: [.max, .min + 1],
                                  strings: StringTable([[], [0xff, 0x00], Array(repeating: 7, count: ReplayLimits.maxTextBytes)])), seat: 0),
            .command(.stop, seat: 0),
            .checkpoint(tick: 0, hash: 0),
            .checkpoint(tick: ReplayLimits.maxTicks, hash: .max),
            .timeLimit(call: 0, location: nil, message: "", traceback: nil),
            .timeLimit(call: Int(Int32.max) << 16, location: "", message: "é", traceback: ""),
            .cpuBudgetEnded(tick: ReplayLimits.maxTicks, message: ""),
            .file(path: "", hash: 0, contents: []),
            .file(path: "game.lua", hash: .max, contents: Array(repeating: 0xa5, count: ReplayLimits.maxFileBytes)),
            .end(tick: 0, hash: nil, outcome: ""),
            .end(tick: ReplayLimits.maxTicks, hash: 0, outcome: "finished: {}"),
        ]
        // One record a chunk, then all in one: the context carries either way.
        for chunks in [records.map { [$0] }, [records]] {
            let reading = Self.read(File(header, chunks).bytes)
            #expect(reading.error == nil, "\(String(describing: reading.error))")
            #expect(reading.chunks == chunks)
        }
        // Int64.min is written as Int64.min + 1 (docs/replay.md).
        let minimum: [ReplayRecord] = [.command(.input(player: 2, sequence: 1, values: [.min, 0, 0, .min]), seat: 0)]
        let raised: [ReplayRecord] = [.command(.input(player: 2, sequence: 1, values: [Int64.min + 1, 0, 0, Int64.min + 1]), seat: 0)]
        #expect(Self.read(File(header, [minimum]).bytes).chunks == [raised])
    }

    @Test func theContextCarriesAcrossChunks() {
        let first: [ReplayRecord] = [.command(.input(player: 4, sequence: 9, values: [5, 6]), seat: 0)]
        let second: [ReplayRecord] = [.advance(ticks: 1), .command(.input(player: 4, sequence: 10, values: [5, 6]), seat: 0)]
        let file = File(Self.plainHeader, [first, second])
        #expect(Self.read(file.bytes).chunks == [first, second])
        // The second chunk alone repeats values it never saw: refused, at its record 2.
        let alone = Array(file.bytes[..<file.starts[1]]) + file.bytes[file.starts[2]...]
        let reading = Self.read(alone)
        #expect(reading.chunks.isEmpty)
        #expect(reading.error?.message.contains("record 2 of the chunk") == true, "\(String(describing: reading.error))")
        #expect((file.starts[1]..<alone.count).contains(reading.error?.offset ?? -1))
    }

    // MARK: Cut and damaged files

    @Test func everyCutReadsTheWholeChunksBeforeIt() {
        var rng = SplitMix64(seed: 0xc07)
        for _ in 0..<3 {
            let (header, chunks) = Self.randomLog(&rng, maxRecords: 120, maxChunks: 8)
            let file = File(header, chunks)
            let headerEnd = file.starts[1]
            for length in 0...file.bytes.count {
                let reading = Self.read(Array(file.bytes.prefix(length)))
                if length < headerEnd {
                    #expect(reading.header == nil && reading.error?.offset == (length < ReplayFile.prefixBytes ? 0 : ReplayFile.prefixBytes),
                            "cut at \(length): \(String(describing: reading.error))")
                    continue
                }
                let whole = file.starts.dropFirst(2).filter { $0 <= length }.count
                #expect(reading.error == nil, "cut at \(length): \(String(describing: reading.error))")
                #expect(reading.header == header)
                #expect(reading.chunks == Array(chunks.prefix(whole)), "cut at \(length)")
                #expect(reading.truncatedAt == (file.starts.contains(length) ? nil : file.starts[whole + 1]), "cut at \(length)")
            }
        }
    }

    @Test func everyBitFlipIsFoundAtItsChunk() {
        var rng = SplitMix64(seed: 0xf11b)
        var (header, chunks) = Self.randomLog(&rng, maxRecords: 60, maxChunks: 5)
        while chunks.count < 3 || File(header, chunks).bytes.count < 300 {
            (header, chunks) = Self.randomLog(&rng, maxRecords: 60, maxChunks: 5)
        }
        let file = File(header, chunks)
        for byte in file.bytes.indices {
            // The part the byte is in: the prefix's magic or version, the
            // header chunk (0) or a later chunk (i ≥ 1).
            let part = file.starts.lastIndex { $0 <= byte } ?? -1
            let expected = byte < 8 ? 0 : byte < ReplayFile.prefixBytes ? 8 : file.starts[part]
            let isLength = part >= 1 && byte < file.starts[part] + 4
            for bit in 0..<8 {
                var damaged = file.bytes
                damaged[byte] ^= 1 << UInt8(bit)
                let reading = Self.read(damaged)
                if let error = reading.error {
                    #expect(error.offset == expected, "byte \(byte) bit \(bit): \(error)")
                } else {
                    // Only a longer length can pass, and it reads as a cut.
                    #expect(isLength && reading.truncatedAt == expected, "byte \(byte) bit \(bit) went unnoticed")
                }
                // Whatever came before the damaged chunk was read, unchanged.
                if part >= 1 { #expect(reading.chunks == Array(chunks.prefix(part - 1)), "byte \(byte) bit \(bit)") }
            }
        }
    }

    /// Payloads of random bits with a good checksum, so the records
    /// themselves are garbage, and valid chunks with bits flipped and the
    /// checksum made good again: a reader returns or throws, and what it
    /// reads survives encode → decode.
    @Test func garbageBehindGoodChecksumsNeverCrashes() {
        var rng = SplitMix64(seed: 0x9a4b)
        var decodedRecords = 0
        for round in 0..<3000 {
            var header = Self.plainHeader
            header.inputWidth = rng.pick([0, 1, 2, 5])
            var bytes = ReplayEncoder.start(header)
            for _ in 0..<rng.int(1...3) {
                var payload: [UInt8]
                if round % 2 == 0 {
                    payload = rng.bytes(rng.chance(0.8) ? rng.int(0...24) : rng.int(0...400))
                } else {
                    var encoder = ReplayEncoder(inputWidth: header.inputWidth)
                    let records = RandomReplay.records(&rng, count: rng.int(1...30), inputWidth: header.inputWidth)
                    payload = Array(encoder.chunk(records).dropFirst(8))
                    for _ in 0..<rng.int(1...3) { payload[rng.int(0...payload.count - 1)] ^= 1 << UInt8(rng.int(0...7)) }
                }
                bytes += ReplayFile.chunk(payload)
            }
            let reading = Self.read(bytes)
            decodedRecords += reading.chunks.joined().count
            if let error = reading.error { #expect((0...bytes.count).contains(error.offset)) }
            // What was read encodes back to a file that reads the same.
            let again = Self.read(File(header, reading.chunks).bytes)
            #expect(again.error == nil && again.chunks == reading.chunks, "\(bytes)")
        }
        #expect(decodedRecords > 1000)
    }

    // MARK: Hostile claims

    /// `header`'s file with one more chunk around `payload` (a good checksum).
    static func withChunk(_ payload: [UInt8], header: ReplayHeader = plainHeader) -> [UInt8] {
        ReplayEncoder.start(header) + ReplayFile.chunk(payload)
    }

    /// A payload written bit by bit: count(1) then `body`.
    static func oneRecord(_ body: (inout BitWriter) throws(ProtocolError) -> Void) -> [UInt8] {
        var w = BitWriter()
        w.writeGamma(2)
        try! body(&w)
        return w.finish()
    }

    static func expectRefused(_ bytes: [UInt8], at offsets: ClosedRange<Int>, _ words: String,
                              sourceLocation: SourceLocation = #_sourceLocation) {
        let reading = read(bytes)
        guard let error = reading.error else {
            Issue.record("read \(reading.chunks.count) chunks, expected a refusal", sourceLocation: sourceLocation)
            return
        }
        #expect(offsets.contains(error.offset), "\(error), not at \(offsets)", sourceLocation: sourceLocation)
        #expect(error.message.contains(words), "\(error)", sourceLocation: sourceLocation)
    }

    @Test func hostileChunkLengthsAreRefusedBeforeReading() {
        let start = ReplayEncoder.start(Self.plainHeader)
        for claim: UInt32 in [.max, UInt32(ReplayFile.maxChunkBytes) + 1] {
            Self.expectRefused(start + le32(claim) + [0, 0, 0, 0] + [1, 2, 3], at: start.count...start.count, "above the limit")
            Self.expectRefused(ReplayFile.prefix() + le32(claim) + [0, 0, 0, 0], at: 10...10, "above the limit")
        }
        // A claim within the limit that the file does not hold is a cut file.
        let cut = Self.read(start + le32(UInt32(ReplayFile.maxChunkBytes)) + [0, 0, 0, 0] + [1, 2, 3])
        #expect(cut.error == nil && cut.chunks.isEmpty && cut.truncatedAt == start.count)
        // An empty header chunk, or a file that ends in its header, is refused.
        Self.expectRefused(ReplayFile.prefix() + ReplayFile.chunk([]), at: 10...10, "header")
        Self.expectRefused(ReplayFile.prefix() + [9, 0, 0], at: 10...10, "header")
        Self.expectRefused(Array("TWREPLAY".utf8) + [2, 0], at: 8...8, "version 2")
        Self.expectRefused(Array("TWREPLAX".utf8) + [1, 0], at: 0...0, "TWREPLAY")
        Self.expectRefused([], at: 0...0, "TWREPLAY")
    }

    @Test func hostileCountsAndLengthsAreRefusedWithoutAllocating() {
        let start = ReplayEncoder.start(Self.plainHeader).count
        // 2^40 and 2^62 records claimed by a chunk of a few bytes.
        for claim: UInt64 in [1 << 40, 1 << 62, .max] {
            var w = BitWriter()
            w.writeGamma(claim)
            w.write(0, count: 64)
            let payload = w.finish()
            Self.expectRefused(Self.withChunk(payload), at: (start + 8)...(start + 8 + payload.count), "above the limit")
        }
        // A record's join name of 2^40 bytes, and of one byte past the limit.
        for length in [1 << 40, ReplayLimits.maxNameBytes + 1] {
            let payload = Self.oneRecord { w throws(ProtocolError) in
                w.write(2, count: 3)
                var n = UInt64(length)
                try w.varint(&n)
            }
            Self.expectRefused(Self.withChunk(payload), at: (start + 8)...(start + 8 + payload.count), "above the limit")
        }
        // A name within the limit that runs past the chunk.
        let past = Self.oneRecord { w throws(ProtocolError) in
            w.write(2, count: 3)
            var n: UInt64 = 1000
            try w.varint(&n)
        }
        Self.expectRefused(Self.withChunk(past), at: (start + 8)...(start + 8 + past.count), "runs past")
        // File contents claiming 4 MiB in a few bytes; a length above 4 MiB.
        for (length, words) in [(ReplayLimits.maxFileBytes, "runs past"), ((1 << 23) - 1, "above the range")] {
            let payload = Self.oneRecord { w throws(ProtocolError) in
                w.write(7, count: 3)
                w.writeGamma(4)                      // count(3): file
                w.write(0, count: 8)                 // empty path
                w.write(0, count: 64)                // hash
                w.write(UInt64(length), count: 23)   // int(0...4 MiB)
            }
            let reading = Self.read(Self.withChunk(payload))
            #expect(reading.error?.message.contains(words) == true, "\(String(describing: reading.error))")
        }
        // A client event claiming 2^40 values, then 2^40 strings, then a string of 64 KiB.
        for claims: [UInt64] in [[1 << 40], [0, 1 << 40], [0, 1]] {
            let payload = Self.oneRecord { w in
                w.write(5, count: 3)
                w.writeGamma(1)                     // player 0
                w.writeGamma(1)                     // event 0
                for c in claims { w.writeGamma(c + 1) }
                if claims == [0, 1] { w.write(UInt64(ReplayLimits.maxTextBytes), count: 17) }
                w.write(0, count: 16)
            }
            let reading = Self.read(Self.withChunk(payload))
            #expect(reading.error != nil && reading.chunks.isEmpty, "\(claims)")
        }
        // Ticks past 2^40, a call number past its bound, an unknown extended kind.
        for body: (inout BitWriter) -> Void in [
            { w in w.write(0, count: 3); w.writeGamma(1 << 41) },
            { w in w.write(7, count: 3); w.writeGamma(1); w.writeGamma(1 << 41); w.write(0, count: 64) },
            { w in w.write(7, count: 3); w.writeGamma(2); w.writeGamma(UInt64(Int(Int32.max) << 16) + 2) },
            { w in w.write(7, count: 3); w.writeGamma(6) },
        ] {
            let payload = Self.oneRecord { w in body(&w) }
            Self.expectRefused(Self.withChunk(payload), at: (start + 8)...(start + 8 + payload.count), "above the limit")
        }
        // A header claiming 2^40 parameters, and an engine version of 2^60 bytes.
        var many = BitWriter()
        for _ in 0..<6 { many.write(0, count: 8) }
        many.write(0, count: 64)
        many.writeGamma((1 << 40) + 1)
        Self.expectRefused(ReplayFile.prefix() + ReplayFile.chunk(many.finish()), at: 42...42, "above the limit")
        var long = BitWriter()
        var huge: UInt64 = 1 << 60
        try? long.varint(&huge)
        long.write(0, count: 64)
        Self.expectRefused(ReplayFile.prefix() + ReplayFile.chunk(long.finish()), at: 27...27, "above the limit")
    }

    /// An input's player is the previous input's plus a gap from the file:
    /// a gap near `Int64.max` once overflowed `Int` and trapped.
    @Test func inputPlayersOutsideTheSeatsAreRefused() {
        var header = Self.plainHeader
        header.inputWidth = 0
        let start = ReplayEncoder.start(header).count
        // gamma(zigzag + 1) of the gaps +2^63 - 1, -2^63 + 1, +65535 and -65536 from player 1.
        for gap: UInt64 in [.max, .max - 1, 131_071, 131_072] {
            var w = BitWriter()
            w.writeGamma(3)                                        // two records
            w.write(1, count: 3); w.writeGamma(3); w.writeGamma(1); w.write(0, count: 1)   // player 1, sequence 1
            w.write(1, count: 3); w.writeGamma(gap); w.writeGamma(1); w.write(0, count: 1)
            let reading = Self.read(Self.withChunk(w.finish(), header: header))
            #expect(reading.error?.message.contains("player") == true, "\(String(describing: reading.error))")
            #expect(((start + 8)..<(start + 8 + 40)).contains(reading.error?.offset ?? -1))
        }
        // Player 0, or below, as the first input of a run.
        for gap: UInt64 in [1, 2] {
            var w = BitWriter()
            w.writeGamma(2)
            w.write(1, count: 3); w.writeGamma(gap); w.writeGamma(1); w.write(0, count: 1)
            Self.expectRefused(Self.withChunk(w.finish(), header: header), at: (start + 8)...(start + 9), "outside 1...65535")
        }
    }
}

/// Bits laid down one value at a time, least significant first, for the
/// spec's hand-made bytes (apart from `BitWriter`).
struct Bits {
    private var bits: [Bool] = []

    mutating func put(_ value: UInt64, _ count: Int) {
        for i in 0..<count { bits.append(value >> UInt64(i) & 1 == 1) }
    }

    func bytes() -> [UInt8] {
        stride(from: 0, to: bits.count, by: 8).map { at in
            (0..<8).reduce(UInt8(0)) { byte, i in at + i < bits.count && bits[at + i] ? byte | 1 << UInt8(i) : byte }
        }
    }
}

func le32(_ v: UInt32) -> [UInt8] {
    [UInt8(v & 0xff), UInt8(v >> 8 & 0xff), UInt8(v >> 16 & 0xff), UInt8(v >> 24)]
}
