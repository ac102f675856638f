import Engine
import Foundation

/// What one player receives per second of a game, five ways: the whole state
/// as JSON every tick (what most WebSocket tutorials do), the whole state
/// bit-packed every tick, deltas from the baseline alone, Tickwire's deltas
/// (changed values also coded from a prediction), and those after `xz -9`
/// as a floor no real-time encoder reaches (xz sees the whole stream at once).
/// A game with a send rate (`game.send_rate`) is measured at it: every way
/// sends on its send ticks only, each delta over the ticks between.
struct WireBench {
    let game: GameDefinition
    let recording: InputRecording
    let options: MatchOptions

    struct Result {
        let seconds: Double
        let json: Int
        let packed: Int
        /// Deltas with no prediction (every header says "no prior").
        let unpredicted: Int
        let deltas: Int
        let snapshots: Int
        /// Entities each snapshot changed (kept from the one before with a
        /// field changed) or added, summed over the snapshots.
        let changedEntities: Int
        let xz: Int?
        let encodeMicros: Double
        let decodeMicros: Double
    }

    func run() throws -> Result {
        let match = try Match(game: game, options: options)
        for name in recording.playerNames { _ = match.join(name: name) }
        let coding = match.coding
        var json = 0, packed = 0, unpredicted = 0, deltas = 0, snapshots = 0, changedEntities = 0
        var stream: [UInt8] = []
        var previous: Snapshot?, prior: Snapshot?
        var encodeTime = 0.0, decodeTime = 0.0
        let mirror = ClientMirror(schema: game.schema)
        for inputs in recording.ticks {
            for input in inputs { match.submit(input: input.values, from: input.id) }
            match.step()
            guard game.sendSchedule.sends(tick: match.tick), let current = match.snapshots.latest else { continue }
            json += try jsonState(current, schema: game.schema).count
            packed += SnapshotMessage.encode(from: nil, to: current, audience: .spectator, coding: coding).count
            unpredicted += SnapshotMessage.encode(from: previous, to: current, audience: .spectator, coding: coding).count
            let t0 = threadCPUTime()
            let frame = SnapshotMessage.encode(from: previous, prior: prior, to: current, audience: .spectator, coding: coding)
            let t1 = threadCPUTime()
            try mirror.apply(frame)
            let t2 = threadCPUTime()
            encodeTime += t1 - t0
            decodeTime += t2 - t1
            deltas += frame.count
            snapshots += 1
            changedEntities += Self.changedEntities(from: previous, to: current, schema: game.schema)
            stream += frame
            prior = previous
            previous = current
        }
        let ticks = recording.ticks.count
        let seconds = Double(ticks) / Double(game.tickRate)
        return Result(seconds: seconds, json: json, packed: packed, unpredicted: unpredicted, deltas: deltas, snapshots: snapshots,
                      changedEntities: changedEntities,
                      xz: try xzSize(stream),
                      encodeMicros: encodeTime / Double(max(snapshots, 1)) * 1e6, decodeMicros: decodeTime / Double(max(snapshots, 1)) * 1e6)
    }

    /// Entities of `current` that `previous` lacks or holds with another value.
    static func changedEntities(from previous: Snapshot?, to current: Snapshot, schema: GameSchema) -> Int {
        guard let previous else { return current.entities.count }
        return current.entities.count { e in
            guard let old = previous.entity(id: e.id), old.kind == e.kind else { return true }
            let n = schema.kinds[Int(e.kind)].fields.count
            return current.fields(at: e.offset, count: n) != previous.fields(at: old.offset, count: n)
        }
    }

    /// The state as a tutorial server sends it: every entity with every
    /// declared field by name, values as readers see them.
    private func jsonState(_ s: Snapshot, schema: GameSchema) throws -> Data {
        func value(_ q: Int64, _ type: FieldType) -> Any {
            switch type {
            case .bool: return q != 0
            case .string: return String(decoding: s.strings.bytes(at: Int(q)), as: UTF8.self)
            case .integer, .entity: return q
            default: return type.dequantize(q)
            }
        }
        var matchObject: [String: Any] = [:]
        for (f, field) in schema.match.fields.enumerated() { matchObject[field.name] = value(s.match[f], field.type) }
        let entities: [[String: Any]] = s.entities.map { e in
            let kind = schema.kinds[Int(e.kind)]
            var object: [String: Any] = ["id": e.id, "kind": kind.name]
            for (f, field) in kind.fields.enumerated() { object[field.name] = value(s.values[Int(e.offset) + f], field.type) }
            return object
        }
        return try JSONSerialization.data(withJSONObject: ["tick": s.tick, "match": matchObject, "entities": entities])
    }

    private func xzSize(_ bytes: [UInt8]) throws -> Int? {
        guard let xz = ["/usr/bin/xz", "/bin/xz"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else { return nil }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tickwire-deltas-\(ProcessInfo.processInfo.processIdentifier)")
        try Data(bytes).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: xz)
        process.arguments = ["-9", "-c", file.path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let compressed = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return process.terminationStatus == 0 ? compressed.count : nil
    }
}
