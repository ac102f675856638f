/// A 64-bit digest of a match's states, tick by tick (FNV-1a style).
///
/// Swift's `Hasher` is seeded per process, so it cannot compare runs; this
/// one is the same on every run and machine for the same snapshots.
public struct StateHash: Sendable, Equatable, CustomStringConvertible {
    public private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    public init() {}

    /// Mixes in one 64-bit word (FNV-1a over words, with a rotation so high
    /// bits reach low ones).
    @inline(__always)
    public mutating func add(_ v: UInt64) {
        value = (value ^ v) &* 0x0000_0100_0000_01b3
        value = (value << 29) | (value >> 35)
    }

    public mutating func add(_ v: Int64) { add(UInt64(bitPattern: v)) }
    public mutating func add(_ v: Int) { add(UInt64(bitPattern: Int64(v))) }

    public mutating func add(bytes: some Collection<UInt8>) {
        add(bytes.count)
        for b in bytes { value = (value ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
    }

    /// Adds everything a client could observe of a snapshot. `coding` is
    /// the schema's field codings, built once per match.
    public mutating func add(_ snapshot: Snapshot, coding: SnapshotCoding) {
        add(snapshot.tick)
        add(values: snapshot.match[...], fields: coding.match, strings: snapshot.strings)
        add(snapshot.entities.count)
        for e in snapshot.entities {
            add(UInt64(e.id))
            add(UInt64(e.kind))
            let fields = coding.kinds[Int(e.kind)]
            add(values: snapshot.fields(at: e.offset, count: fields.count), fields: fields, strings: snapshot.strings)
        }
        add(snapshot.events.count)
        for event in snapshot.events {
            add(event.to)
            add(UInt64(event.kind))
            let fields = coding.events[Int(event.kind)]
            add(values: snapshot.fields(at: event.offset, count: fields.count), fields: fields, strings: snapshot.strings)
        }
    }

    private mutating func add(values: ArraySlice<Int64>, fields: [FieldCoding], strings: StringTable) {
        var i = values.startIndex
        for field in fields {
            if field.isString { add(bytes: strings.bytes(at: Int(values[i]))) } else { add(values[i]) }
            i += 1
        }
    }

    public var description: String {
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
