import Protocol
import ProtocolTestSupport

/// A match state built by hand for the vectors: stored values per field
/// (strings as their bytes), turned into the `Snapshot` a server encodes.
struct StateModel {
    enum Cell: Equatable {
        case q(Int64)
        case text([UInt8])
    }

    struct Entity {
        var kind: Int
        var cells: [Cell]
    }

    struct Event {
        /// Recipient player id, 0 for everyone.
        var to: Int
        var kind: Int
        var cells: [Cell]
    }

    let schema: GameSchema
    var tick = 0
    var match: [Cell]
    var entities: [UInt32: Entity] = [:]
    /// This tick's events, cleared by `next(tick:)`.
    var events: [Event] = []

    /// The empty state: every match field 0 or "".
    init(schema: GameSchema) {
        self.schema = schema
        match = schema.match.fields.map { Self.zero($0.type) }
    }

    static func zero(_ type: FieldType) -> Cell {
        if case .string = type { return .text([]) }
        return .q(0)
    }

    mutating func next(tick: Int) {
        precondition(tick > self.tick)
        self.tick = tick
        events = []
    }

    func fields(ofKind kind: Int) -> [Field] { schema.kinds[kind].fields }

    var snapshot: Snapshot {
        var strings = StringTable()
        func store(_ cell: Cell) -> Int64 {
            switch cell {
            case .q(let q): q
            case .text(let bytes): Int64(strings.append(bytes))
            }
        }
        let matchValues = match.map(store)
        var values: [Int64] = []
        var list: [Snapshot.Entity] = []
        for id in entities.keys.sorted() {
            let e = entities[id]!
            precondition(e.cells.count == fields(ofKind: e.kind).count)
            list.append(Snapshot.Entity(id: id, kind: UInt16(e.kind), offset: Int32(values.count)))
            values += e.cells.map(store)
        }
        var eventList: [Snapshot.Event] = []
        for e in events {
            precondition(e.cells.count == schema.events[e.kind].fields.count)
            eventList.append(Snapshot.Event(to: e.to, kind: UInt16(e.kind), offset: Int32(values.count)))
            values += e.cells.map(store)
        }
        return Snapshot(tick: tick, match: matchValues, entities: list, values: values, events: eventList, strings: strings)
    }

    // MARK: Values

    /// The lowest or highest stored value of a type (strings: empty, or
    /// `maxBytes` of multibyte UTF-8).
    static func extreme(_ type: FieldType, high: Bool) -> Cell {
        switch type {
        case .string(let max): return .text(high ? fullText(bytes: max) : [])
        case .vec3(let x, let y, let z):
            return .q(high ? x.steps | y.steps << Int64(x.bits) | z.steps << Int64(x.bits + y.bits) : 0)
        default: return .q(high ? type.range.upperBound : type.range.lowerBound)
        }
    }

    /// Exactly `bytes` bytes of UTF-8 with characters of 1 to 4 bytes.
    static func fullText(bytes: Int) -> [UInt8] {
        let pieces = ["😀", "字", "é", "a"].map { Array($0.utf8) }
        var out: [UInt8] = []
        var i = 0
        while out.count < bytes {
            let piece = pieces[i % pieces.count]
            i += 1
            if out.count + piece.count <= bytes { out += piece } else { out.append(UInt8(ascii: "z")) }
        }
        return out
    }

    /// A random valid value of `type` (RandomSchema's: extremes one time in
    /// five); f32 values come from `f32Specials` half the time.
    static func random(_ rng: inout SplitMix64, _ type: FieldType) -> Cell {
        if type == .f32, rng.chance(0.5) { return .q(Int64(rng.pick(f32Specials))) }
        var strings = StringTable()
        let q = RandomSchema.value(&rng, type, strings: &strings)
        if case .string = type { return .text(strings[Int(q)]) }
        return .q(q)
    }

    /// A value of `type` other than `old` (a bool flips). A NaN is never
    /// replaced by another NaN: a client compares decoded values, and every
    /// NaN decodes alike.
    static func changed(_ rng: inout SplitMix64, _ type: FieldType, from old: Cell) -> Cell {
        if type == .bool, case .q(let q) = old { return .q(1 - q) }
        while true {
            let new = random(&rng, type)
            if new == old { continue }
            if type == .f32, case .q(let a) = old, case .q(let b) = new, isNaN(a), isNaN(b) { continue }
            return new
        }
    }

    static func isNaN(_ bits: Int64) -> Bool { Float(bitPattern: UInt32(truncatingIfNeeded: bits)).isNaN }

    /// Sets an f32 cell, unless both the old and the new value are NaNs.
    static func setF32(_ cell: inout Cell, _ new: Cell) {
        if case .q(let a) = cell, case .q(let b) = new, isNaN(a), isNaN(b) { return }
        cell = new
    }

    /// Bit patterns of f32 values a decoder must get exactly right.
    static let f32Specials: [UInt32] = [
        0x7FC0_0000,   // NaN
        0x7F80_0000,   // +Infinity
        0xFF80_0000,   // -Infinity
        0x8000_0000,   // -0
        0x0000_0000,   // +0
        0x0000_0001,   // smallest subnormal
        0x7FC0_0001,   // NaN with a payload
        0x007F_FFFF,   // largest subnormal
        0x8000_0001,   // -smallest subnormal
        0x0080_0000,   // smallest normal
        0xFFFF_FFFF,   // negative NaN, every payload bit set
        0x7F7F_FFFF,   // largest finite
        0xFF7F_FFFF,   // -largest finite
        0x3F80_0000,   // 1
        0x3DCC_CCCD,   // 0.1f
        0xBF80_0001,   // -1 - 1 ulp
    ]
}
