/// The replay file's framing: a prefix, then checksummed chunks, so a file
/// cut short by a crash still reads up to its last whole chunk, and a
/// damaged one is refused at the byte where the damage is.
///
///     "TWREPLAY"  u16 format version (little-endian)
///     chunk*:     u32 payload length   u32 checksum (FNV-1a 32 of the payload)
///                 payload
///
/// The first chunk's payload is the `ReplayHeader`; every later payload is
/// `count(n)` then n `ReplayRecord`s, bit-packed, padded to a byte. A writer
/// only ever appends whole chunks, each ending at a tick boundary.
public enum ReplayFile {
    public static let magic: [UInt8] = Array("TWREPLAY".utf8)
    public static let formatVersion = 1
    public static let prefixBytes = 10
    /// No chunk is larger: a writer flushes long before, a reader refuses
    /// a larger claim before reading it.
    public static let maxChunkBytes = 64 << 20
    /// No chunk holds more records: a reader decodes a chunk at once, so
    /// this bounds its memory (about 100 bytes a record) whatever a file
    /// holds. A writer splits longer lists.
    public static let maxRecordsPerChunk = 1 << 20

    public static func prefix() -> [UInt8] {
        magic + [UInt8(formatVersion & 0xff), UInt8(formatVersion >> 8)]
    }

    /// A framed chunk around `payload`.
    public static func chunk(_ payload: [UInt8]) -> [UInt8] {
        precondition(payload.count <= maxChunkBytes, "a replay chunk of \(payload.count) bytes")
        var out: [UInt8] = []
        out.reserveCapacity(payload.count + 8)
        out.append(contentsOf: littleEndian(UInt32(payload.count)))
        out.append(contentsOf: littleEndian(checksum(payload[...])))
        out.append(contentsOf: payload)
        return out
    }

    /// FNV-1a, 32 bits.
    public static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var h: UInt32 = 0x811c_9dc5
        for b in bytes { h = (h ^ UInt32(b)) &* 0x0100_0193 }
        return h
    }

    static func littleEndian(_ v: UInt32) -> [UInt8] {
        [UInt8(v & 0xff), UInt8((v >> 8) & 0xff), UInt8((v >> 16) & 0xff), UInt8(v >> 24)]
    }
}

/// Why a replay file was refused: where, and what was wrong.
public struct ReplayFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Byte offset in the file of the chunk or field at fault.
    public let offset: Int
    public let message: String

    public init(offset: Int, _ message: String) {
        self.offset = offset
        self.message = message
    }

    public var description: String { "byte \(offset): \(message)" }
}

/// Encodes a match's log as it happens: the header once, then one chunk per
/// flush holding the records since the last one.
public struct ReplayEncoder: Sendable {
    private var coder: ReplayRecordCoder

    public init(inputWidth: Int) {
        coder = ReplayRecordCoder(inputWidth: inputWidth)
    }

    /// Goes on encoding a log whose records so far `coder` has read (a
    /// decoder's `recordCoder` at its end): inputs are coded against the
    /// last ones read, so the chunks written next extend that log.
    public init(continuing coder: ReplayRecordCoder) {
        self.coder = coder
    }

    /// The file's first bytes: prefix and header chunk.
    public static func start(_ header: ReplayHeader) -> [UInt8] {
        var header = header
        var writer = BitWriter()
        try? header.serialize(&writer)
        return ReplayFile.prefix() + ReplayFile.chunk(writer.finish())
    }

    /// `records`, in order, as one framed chunk, or several when they pass
    /// a chunk's bounds. Every record is first fitted to the reader's
    /// limits (`ReplayRecord.fittingLimits`), so no value a game or a client
    /// produced can stop the writer.
    public mutating func chunk(_ records: [ReplayRecord]) -> [UInt8] {
        guard !records.isEmpty else { return encode([]) }
        var out: [UInt8] = []
        var start = 0
        while start < records.count {
            var end = start + 1
            var bytes = records[start].sizeEstimate
            while end < records.count, end - start < Self.recordsPerChunk, bytes + records[end].sizeEstimate <= Self.bytesPerChunk {
                bytes += records[end].sizeEstimate
                end += 1
            }
            out += encode(records[start..<end])
            start = end
        }
        return out
    }

    /// Where the writer splits: well inside the reader's bounds.
    static let recordsPerChunk = ReplayFile.maxRecordsPerChunk / 16
    static let bytesPerChunk = ReplayFile.maxChunkBytes / 4

    private mutating func encode(_ records: ArraySlice<ReplayRecord>) -> [UInt8] {
        var writer = BitWriter(capacity: 64 + records.count * 4)
        var count = records.count
        try? writer.count(&count, limit: .max)
        for record in records {
            var r = record.fittingLimits
            try? coder.serialize(&r, &writer)
        }
        return ReplayFile.chunk(writer.finish())
    }
}

/// Reads a replay file chunk by chunk, validating everything: a hostile
/// file gets an error naming its offset, never a trap or an allocation from
/// a length it claims.
public struct ReplayDecoder {
    public let header: ReplayHeader
    private let bytes: [UInt8]
    private var offset: Int
    private var coder: ReplayRecordCoder
    /// Set once the file ended inside a chunk (cut short while written):
    /// the offset of that partial chunk.
    public private(set) var truncatedAt: Int?

    /// The record coder's state after the records read so far (what an
    /// encoder continuing the log starts from).
    public var recordCoder: ReplayRecordCoder { coder }

    /// Reads the prefix and the header.
    public init(bytes: [UInt8]) throws(ReplayFileError) {
        self.bytes = bytes
        guard bytes.count >= ReplayFile.prefixBytes, Array(bytes[0..<8]) == ReplayFile.magic else {
            throw ReplayFileError(offset: 0, "not a Tickwire replay (it does not start with TWREPLAY)")
        }
        let version = Int(bytes[8]) | Int(bytes[9]) << 8
        guard version == ReplayFile.formatVersion else {
            throw ReplayFileError(offset: 8, "replay format version \(version); this tickwire reads version \(ReplayFile.formatVersion)")
        }
        offset = ReplayFile.prefixBytes
        guard let headerBytes = try Self.nextChunk(bytes, at: &offset), !headerBytes.isEmpty else {
            throw ReplayFileError(offset: ReplayFile.prefixBytes, "the file ends inside its header")
        }
        var reader = BitReader(headerBytes)
        var header = ReplayHeader(engineVersion: "", game: "", gameName: "", matchID: "", origin: "", startedAtMilliseconds: 0,
                                  seed: 0, params: [], tickRate: 1, maxPlayers: 1, inputWidth: 0, checkpointEvery: 1,
                                  limits: .init(memoryBytes: 0, timeLimitNanoseconds: 0, instructionLimit: 0, failuresToEnd: 0,
                                                maxEntities: 0, inputQueueCapacity: 1, snapshotHistory: 2,
                                                cpuSharePerMillion: 0, cpuWindowNanoseconds: 0))
        do throws(ProtocolError) {
            try header.serialize(&reader)
            try reader.expectEnd()
        } catch {
            throw ReplayFileError(offset: ReplayFile.prefixBytes + 8 + reader.position / 8, "header: \(error.message)")
        }
        self.header = header
        coder = ReplayRecordCoder(inputWidth: header.inputWidth)
    }

    /// The records of the next chunk; nil at the end of the file (or at a
    /// partial last chunk: see `truncatedAt`).
    public mutating func nextRecords() throws(ReplayFileError) -> [ReplayRecord]? {
        guard offset < bytes.count else { return nil }
        let start = offset
        guard let payload = try Self.nextChunk(bytes, at: &offset) else {
            truncatedAt = start
            offset = bytes.count
            return nil
        }
        var reader = BitReader(payload)
        var records: [ReplayRecord] = []
        do throws(ProtocolError) {
            var count = 0
            // Every record takes at least 3 bits: a claim above that is refused before anything is kept.
            try reader.count(&count, limit: min(reader.remainingBits / 3, ReplayFile.maxRecordsPerChunk))
            records.reserveCapacity(min(count, 4096))
            for _ in 0..<count {
                var record = ReplayRecord.advance(ticks: 1)
                try coder.serialize(&record, &reader)
                records.append(record)
            }
            try reader.expectEnd()
        } catch {
            throw ReplayFileError(offset: start + 8 + reader.position / 8, "record \(records.count + 1) of the chunk: \(error.message)")
        }
        return records
    }

    /// The next chunk's payload, checked; nil when the file ends inside it.
    private static func nextChunk(_ bytes: [UInt8], at offset: inout Int) throws(ReplayFileError) -> ArraySlice<UInt8>? {
        let start = offset
        guard bytes.count - start >= 8 else { return nil }
        func u32(_ at: Int) -> Int {
            Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24
        }
        let length = u32(start)
        let sum = UInt32(u32(start + 4))
        guard length <= ReplayFile.maxChunkBytes else {
            throw ReplayFileError(offset: start, "a chunk claims \(length) bytes, above the limit of \(ReplayFile.maxChunkBytes)")
        }
        guard bytes.count - start - 8 >= length else { return nil }
        let payload = bytes[(start + 8)..<(start + 8 + length)]
        guard ReplayFile.checksum(payload) == sum else {
            throw ReplayFileError(offset: start, "the chunk's checksum does not match its \(length) bytes (the file is damaged)")
        }
        offset = start + 8 + length
        return payload
    }
}
