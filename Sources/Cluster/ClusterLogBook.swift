import NIOConcurrencyHelpers

/// Each running match's command log on its way to PostgreSQL: the chunks a
/// match's recorder wrote since the last heartbeat, which the heartbeat
/// appends to `tickwire_match_logs` (numbered from 0, in order) and then
/// drops. A heartbeat that fails hands its chunks back, so an outage loses
/// nothing; a match whose waiting chunks pass `maxPendingBytes` (a long
/// outage) stops being logged, and its stored log is deleted with the next
/// heartbeat that reaches the database: a log with a hole could not be
/// replayed, so that match can no longer be taken over.
///
/// Thread-safe: recorders append from their writer queues, the heartbeat
/// takes from its task.
public final class ClusterLogBook: Sendable {
    /// The most a match's waiting chunks may hold.
    public static let maxPendingBytes = 32 << 20
    /// The most one heartbeat writes (the rest waits for the next).
    static let maxBytesPerBeat = 16 << 20

    /// One chunk of a match's log.
    public struct Chunk: Sendable, Equatable {
        public let match: String
        public let sequence: Int
        public let bytes: [UInt8]
        /// The opening of the match's log the chunk belongs to.
        let generation: Int
    }

    private struct Entry {
        /// Which opening of the match's log this is: a reload of the rules
        /// starts the log over (a new generation), and the old recorder's
        /// last writes and its close must not touch the new one.
        let generation: Int
        var next: Int
        var pending: [Chunk] = []
        var pendingBytes = 0
        var broken = false
    }

    private let entries = NIOLockedValueBox<[String: Entry]>([:])
    private let generations = NIOLockedValueBox(0)
    private let brokenToDelete = NIOLockedValueBox<Set<String>>([])

    public init() {}

    /// Starts the log of `match`; `next` is the number of its next chunk
    /// (0 for a new match or a log started over, one past the last stored
    /// for a match taken over). Returns the opening's generation, which its
    /// writer appends and closes with. A chunk 0 replaces what is stored.
    @discardableResult
    public func open(match: String, next: Int = 0) -> Int {
        let generation = generations.withLockedValue { counter in
            counter += 1
            return counter
        }
        entries.withLockedValue { $0[match] = Entry(generation: generation, next: next) }
        return generation
    }

    /// What became of an appended chunk.
    public enum Appended: Sendable {
        case kept
        /// The log broke (now, or before): nothing more is kept.
        case broken
        /// The log was closed (the match ended or moved away), or never opened.
        case closed
    }

    /// Appends a chunk to `match`'s log, opened as `generation`.
    public func append(match: String, generation: Int, bytes: [UInt8]) -> Appended {
        let appended = entries.withLockedValue { entries -> (Appended, Bool) in
            guard var entry = entries[match], entry.generation == generation else { return (.closed, false) }
            guard !entry.broken else { return (.broken, false) }
            if entry.pendingBytes + bytes.count > Self.maxPendingBytes {
                entry.broken = true
                entry.pending = []
                entry.pendingBytes = 0
                entries[match] = entry
                return (.broken, true)
            }
            entry.pending.append(Chunk(match: match, sequence: entry.next, bytes: bytes, generation: generation))
            entry.next += 1
            entry.pendingBytes += bytes.count
            entries[match] = entry
            return (.kept, false)
        }
        if appended.1 { brokenToDelete.withLockedValue { _ = $0.insert(match) } }
        return appended.0
    }

    /// Forgets `match` (it ended here, or moved away); with `generation`,
    /// only if its log is still that opening.
    public func close(match: String, generation: Int? = nil) {
        entries.withLockedValue { entries in
            guard let entry = entries[match], generation == nil || entry.generation == generation else { return }
            entries.removeValue(forKey: match)
        }
    }

    /// The chunks waiting, oldest first per match, up to a heartbeat's share.
    func take() -> [Chunk] {
        entries.withLockedValue { entries in
            var out: [Chunk] = []
            var bytes = 0
            for key in entries.keys.sorted() {
                guard var entry = entries[key], !entry.pending.isEmpty else { continue }
                var taken = 0
                for chunk in entry.pending {
                    guard bytes == 0 || bytes + chunk.bytes.count <= Self.maxBytesPerBeat else { break }
                    out.append(chunk)
                    bytes += chunk.bytes.count
                    entry.pendingBytes -= chunk.bytes.count
                    taken += 1
                }
                entry.pending.removeFirst(taken)
                entries[key] = entry
                if bytes >= Self.maxBytesPerBeat { break }
            }
            return out
        }
    }

    /// Chunks a failed heartbeat could not store: they go first next time.
    func putBack(_ chunks: [Chunk]) {
        entries.withLockedValue { entries in
            for (match, group) in Dictionary(grouping: chunks, by: \.match) {
                // A log started over since (a reload) has its own chunks.
                guard var entry = entries[match], !entry.broken else { continue }
                let current = group.filter { $0.generation == entry.generation }
                guard !current.isEmpty else { continue }
                entry.pending.insert(contentsOf: current, at: 0)
                entry.pendingBytes += current.reduce(0) { $0 + $1.bytes.count }
                entries[match] = entry
            }
        }
    }

    /// Matches whose log broke and whose stored chunks are still to delete.
    func takeBroken() -> [String] {
        brokenToDelete.withLockedValue { broken in
            defer { broken.removeAll() }
            return broken.sorted()
        }
    }

    func putBackBroken(_ matches: [String]) {
        brokenToDelete.withLockedValue { $0.formUnion(matches) }
    }

    /// Whether `match`'s log is kept (opened and not broken).
    public func isLogging(_ match: String) -> Bool {
        entries.withLockedValue { $0[match].map { !$0.broken } ?? false }
    }
}
