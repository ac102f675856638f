import Cluster
import Engine

/// Where a match's recorder writes in a cluster: its chunks wait in the
/// node's `ClusterLogBook` for the next heartbeat to store them. A log that
/// broke (a long database outage) stops the recorder; one the node closed
/// (the match moved away) takes nothing more, quietly.
final class ClusterLogSink: ReplaySink {
    let match: String
    private let book: ClusterLogBook
    private let generation: Int

    /// Opens `match`'s log in `book` (from chunk `next`) and writes there.
    init(match: String, book: ClusterLogBook, next: Int = 0) {
        self.match = match
        self.book = book
        generation = book.open(match: match, next: next)
    }

    struct Broken: Error, CustomStringConvertible {
        let description: String
    }

    func write(_ bytes: [UInt8]) throws {
        switch book.append(match: match, generation: generation, bytes: bytes) {
        case .kept, .closed: return
        case .broken:
            throw Broken(description: "more than \(ClusterLogBook.maxPendingBytes >> 20) MiB of its log waited for the cluster database: "
                         + "it is no longer stored, and the match cannot be taken over if this node dies")
        }
    }

    func close() { book.close(match: match, generation: generation) }
}
