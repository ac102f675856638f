/// A 64-bit FNV-1a digest of a match's states, tick by tick.
///
/// Swift's `Hasher` is seeded per process, so it cannot compare runs; this
/// one is the same on every run and machine for the same snapshots.
public struct StateHash: Sendable, Equatable, CustomStringConvertible {
    public private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    public init() {}

    public mutating func add(_ v: UInt64) {
        var x = v
        for _ in 0..<8 {
            value = (value ^ (x & 0xff)) &* 0x0000_0100_0000_01b3
            x >>= 8
        }
    }

    public mutating func add(_ v: Int64) { add(UInt64(bitPattern: v)) }
    public mutating func add(_ v: Int) { add(UInt64(bitPattern: Int64(v))) }

    public mutating func add(bytes: [UInt8]) {
        add(bytes.count)
        for b in bytes { value = (value ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
    }

    /// Adds everything a client could observe of a snapshot.
    public mutating func add(_ snapshot: Snapshot, schema: GameSchema) {
        add(snapshot.tick)
        for (v, field) in zip(snapshot.match, schema.match.fields) { add(value: v, type: field.type, strings: snapshot.strings) }
        add(snapshot.entities.count)
        for e in snapshot.entities {
            add(UInt64(e.id))
            add(UInt64(e.kind))
            let fields = schema.kinds[Int(e.kind)].fields
            for (v, field) in zip(snapshot.fields(at: e.offset, count: fields.count), fields) {
                add(value: v, type: field.type, strings: snapshot.strings)
            }
        }
        add(snapshot.events.count)
        for event in snapshot.events {
            add(event.to)
            add(UInt64(event.kind))
            let fields = schema.events[Int(event.kind)].fields
            for (v, field) in zip(snapshot.fields(at: event.offset, count: fields.count), fields) {
                add(value: v, type: field.type, strings: snapshot.strings)
            }
        }
    }

    private mutating func add(value: Int64, type: FieldType, strings: [[UInt8]]) {
        if case .string = type { add(bytes: strings[Int(value)]) } else { add(value) }
    }

    public var description: String {
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
