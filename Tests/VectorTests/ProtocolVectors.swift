import Foundation
import Protocol

/// Tests/vectors/protocol-v2.json: the protocol's test vectors, written by
/// Swift's encoders and checked by every client's decoder (the browser
/// SDK's too). Generated the same way every time, byte for byte: every
/// random choice comes from a seeded `SplitMix64`, and the arena session
/// replays a seeded headless match.
enum ProtocolVectors {
    static let about = "Tickwire protocol v2 test vectors (docs/protocol.md), written by the Swift reference "
        + "implementation; regenerate with scripts/vectors. Messages are hex; each snapshot's expect is the "
        + "state a client holds after applying it (a client also keeps the state it held before, which a snapshot may "
        + "predict from); entries with error must be refused, both states kept."

    /// Where the file lives, found from this source file.
    static let file: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("vectors/protocol-v2.json")

    /// The document: sessions in a fixed order.
    static func document() throws -> JSON {
        var sessions: [JSON] = []
        sessions.append(try ArenaSession.record())
        sessions.append(SchemaSessions.extremes())
        sessions.append(ChangeModesSession.record())
        sessions.append(try ViewSession.record())
        sessions.append(try MotionSession.record())
        for (i, plan) in RandomSessions.plans.enumerated() { sessions.append(RandomSessions.record(plan, index: i)) }
        sessions.append(RefusalSessions.snapshots())
        sessions += RefusalSessions.welcomes()
        return .object([
            ("protocol", .integer(ProtocolVersion.current)),
            ("about", .string(about)),
            ("sessions", .array(sessions)),
        ])
    }

    /// The file's bytes: one line per session key and per snapshot.
    static func generate() throws -> [UInt8] {
        Array(try document().text(inlineDepth: 5).utf8)
    }
}
