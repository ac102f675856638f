import Protocol
import ProtocolTestSupport

/// A session that codes changed values every way the spec allows
/// (docs/protocol.md, "Changed values"): for each integer, fixed and angle
/// field, differences whose shortest code is the full value (mode 0) or
/// Exp-Golomb of order 0, ⌊w/3⌋ and ⌊2w/3⌋ (modes 1 to 3), up and down,
/// in entities and in the match; entities of a kind that repeat the
/// previous one's mask (the same-mask bit) and ones that do not.
enum ChangeModesSession {
    static let fields: [(String, FieldType)] = [
        ("u8", .integer(bits: 8, signed: false)), ("i8", .integer(bits: 8, signed: true)),
        ("u16", .integer(bits: 16, signed: false)), ("i16", .integer(bits: 16, signed: true)),
        ("u32", .integer(bits: 32, signed: false)), ("i32", .integer(bits: 32, signed: true)),
        ("fixed_wide", .fixed(min: -2_147_483_648, max: 2_147_483_647, step: 1)),
        ("fixed", .fixed(min: -1024, max: 1024, step: 1.0 / 32)),
        ("fixed_tenth", .fixed(min: 0, max: 1, step: 0.1)),
        ("angle2", .angle(bits: 2)), ("angle10", .angle(bits: 10)), ("angle16", .angle(bits: 16)),
        ("flag", .bool), ("label", .string(maxBytes: 8)),
    ]

    /// The mode a writer picks for a difference `d` in a field `width` bits
    /// wide: the shortest code, mode 0 on ties with it.
    static func mode(_ d: Int64, width: Int) -> Int {
        let z = d > 0 ? UInt64(d) << 1 : (UInt64(-d) << 1) - 1
        var best = width, mode = 0
        for m in 1...3 {
            let k = (m - 1) * width / 3
            let high = (z >> UInt64(k)) + 1
            let bits = 2 * (63 - high.leadingZeroBitCount) + 1 + k
            if bits < best { (best, mode) = (bits, m) }
        }
        return mode
    }

    /// For each mode, the smallest difference coded in that mode both up
    /// and down from the middle of the field's range (nil: the width
    /// allows no such difference).
    static func differences(_ type: FieldType) -> [Int64?] {
        let range = type.range
        let half = (range.upperBound - range.lowerBound) / 2
        var candidates: Set<Int64> = []
        for j in 0..<62 where Int64(1) << j <= half {
            let p = Int64(1) << j
            for c in [p - 1, p, p + 1, p + p / 2] where c >= 1 && c <= half { candidates.insert(c) }
        }
        return (0...3).map { m in
            candidates.sorted().first { mode($0, width: type.bitWidth) == m && mode(-$0, width: type.bitWidth) == m }
        }
    }

    static func record() -> JSON {
        var rng = SplitMix64(seed: 0xC0DE_5)
        let schema = GameSchema(
            match: SchemaSessions.set("match", 0, fields),
            kinds: [SchemaSessions.set("a", 1, fields), SchemaSessions.set("b", 2, fields)],
            input: [], events: [])
        let viewer = 2
        let welcome = Welcome(playerID: viewer, matchID: "modes", tickRate: 60, tick: 100, schema: schema)
        var session = SessionRecorder(name: "changed values in every mode, same-mask bits", welcome: welcome)
        let list = schema.match.fields
        var model = StateModel(schema: schema)
        let middle: [StateModel.Cell] = list.map { field in
            if case .string = field.type { return .text(Array("mid".utf8)) }
            let r = field.type.range
            return .q(r.lowerBound + (r.upperBound - r.lowerBound) / 2)
        }
        model.next(tick: 100)
        model.match = middle
        for id: UInt32 in [1, 2, 3] { model.entities[id] = .init(kind: 0, cells: middle) }
        model.entities[7] = .init(kind: 1, cells: middle)
        model.entities[9] = .init(kind: 1, cells: middle)
        SchemaSessions.send(model, &session, viewer: viewer, lastInput: 0)

        let steps = list.map { differences($0.type) }
        var covered: [Set<Int>] = Array(repeating: [], count: list.count)
        var tick = 100
        // Each mode, up then back down. Entities 1, 2 and 7 change alike
        // (2 repeats 1's mask; 7 is the first of its kind); 3 changes every
        // other field; 9 changes only the bool and the string.
        for m in 0...3 {
            for sign: Int64 in [1, -1] {
                tick += 1
                model.next(tick: tick)
                for (f, field) in list.enumerated() {
                    var cell = model.match[f]
                    switch field.type {
                    case .bool: cell = .q(1 - cell.stored)
                    case .string: cell = .text(Array("m\(m)\(sign > 0 ? "+" : "-")".utf8))
                    default:
                        guard let d = steps[f][m] else { continue }
                        cell = .q(cell.stored + sign * d)
                        covered[f].insert(m)
                    }
                    model.match[f] = cell
                    for id: UInt32 in [1, 2, 7] { model.entities[id]!.cells[f] = cell }
                    if f % 2 == m % 2 { model.entities[3]!.cells[f] = cell }
                    if field.type == .bool || field.type == .string(maxBytes: 8) { model.entities[9]!.cells[f] = cell }
                }
                SchemaSessions.send(model, &session, viewer: viewer, lastInput: UInt64(tick - 100))
            }
        }
        // Small random steps on random fields: mostly mode 1.
        for _ in 0..<4 {
            tick += 1
            model.next(tick: tick)
            for id in model.entities.keys.sorted() {
                for (f, field) in list.enumerated() where field.type.isNumeric && rng.chance(0.3) {
                    let q = model.entities[id]!.cells[f].stored
                    let r = field.type.range
                    model.entities[id]!.cells[f] = .q(q < r.upperBound ? q + 1 : q - 1)
                }
            }
            SchemaSessions.send(model, &session, viewer: viewer, lastInput: UInt64(tick - 100))
        }

        for (f, field) in list.enumerated() where field.type.isNumeric {
            let want: Set<Int> = Set((0...3).filter { steps[f][$0] != nil })
            precondition(covered[f] == want, "\(field.name) covers modes \(covered[f].sorted()), not \(want.sorted())")
            if field.type.bitWidth >= 10 { precondition(want == [0, 1, 2, 3], "\(field.name) cannot use every mode") }
        }
        return session.json
    }
}
