import Protocol

/// A failed check: the input in hex and why, then a trap, so libFuzzer
/// keeps the input as a crash file and the replayer stops on it.
public enum FuzzFailure {
    public static func report(_ what: String, input: [UInt8]) -> Never {
        let shown = input.prefix(512)
        fatalError("\(what)\ninput (\(input.count) bytes): \(hex(shown))\(input.count > shown.count ? " …" : "")")
    }

    /// Decodes `input`; what decodes must survive encode → decode unchanged,
    /// and encoding it again must give the same bytes. Returns the decoded
    /// message, or nil when `input` was refused.
    @discardableResult
    public static func roundTrip<M: Equatable>(_ input: [UInt8], _ what: String,
                                               decode: ([UInt8]) throws -> M, encode: (M) -> [UInt8]) -> M? {
        guard let first = try? decode(input) else { return nil }
        let bytes = encode(first)
        let second: M
        do { second = try decode(bytes) } catch {
            report("\(what) decoded, but its re-encoding (\(hex(bytes))) is refused: \(error)", input: input)
        }
        guard second == first else {
            report("\(what) decoded as \(first), but its re-encoding decodes as \(second)", input: input)
        }
        guard encode(second) == bytes else { report("the same \(what) encodes two ways", input: input) }
        return first
    }

    public static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for b in bytes { text += [digits[Int(b >> 4)], digits[Int(b & 15)]] }
        return String(decoding: text, as: UTF8.self)
    }
}

/// Checks of decoded snapshots written apart from the decoder, so a wrong
/// decoder cannot agree with itself.
public enum SnapshotChecks {
    /// Where `a` and `b` differ (nil: the same): tick, match, entities and
    /// their values, events in order with their values; strings compared by
    /// content, not by their index in the string table.
    public static func difference(_ a: Snapshot, _ b: Snapshot, coding: SnapshotCoding) -> String? {
        guard a.tick == b.tick else { return "tick \(a.tick) vs \(b.tick)" }
        func same(_ x: Int64, _ y: Int64, _ field: FieldCoding) -> Bool {
            field.isString ? a.strings.bytes(at: Int(x)).elementsEqual(b.strings.bytes(at: Int(y))) : x == y
        }
        for (f, field) in coding.match.enumerated() where !same(a.match[f], b.match[f], field) {
            return "match field \(f): \(a.match[f]) vs \(b.match[f])"
        }
        guard a.entities.count == b.entities.count else { return "\(a.entities.count) vs \(b.entities.count) entities" }
        for (x, y) in zip(a.entities, b.entities) {
            guard x.id == y.id, x.kind == y.kind else { return "entity \(x.id) (kind \(x.kind)) vs \(y.id) (kind \(y.kind))" }
            for (f, field) in coding.kinds[Int(x.kind)].enumerated()
            where !same(a.values[Int(x.offset) + f], b.values[Int(y.offset) + f], field) {
                return "entity \(x.id) field \(f): \(a.values[Int(x.offset) + f]) vs \(b.values[Int(y.offset) + f])"
            }
        }
        guard a.events.count == b.events.count else { return "\(a.events.count) vs \(b.events.count) events" }
        for (i, (x, y)) in zip(a.events, b.events).enumerated() {
            guard x.kind == y.kind, x.to == y.to else { return "event \(i): kind \(x.kind) to \(x.to) vs kind \(y.kind) to \(y.to)" }
            for (f, field) in coding.events[Int(x.kind)].enumerated()
            where !same(a.values[Int(x.offset) + f], b.values[Int(y.offset) + f], field) {
                return "event \(i) field \(f): \(a.values[Int(x.offset) + f]) vs \(b.values[Int(y.offset) + f])"
            }
        }
        return nil
    }

    /// What is wrong with a decoded snapshot (nil: nothing): the limits of
    /// docs/protocol.md. Ids strictly increasing from 1, known kinds, every
    /// value one its type can store, strings within their size, at most
    /// 65 535 entities and 4 096 events, recipients 0...255.
    public static func violation(_ s: Snapshot, coding: SnapshotCoding) -> String? {
        func check(_ q: Int64, _ field: FieldCoding, _ what: @autoclosure () -> String) -> String? {
            if field.isString {
                guard s.strings.indices.contains(Int(q)) else { return "\(what()): no string \(q)" }
                let n = s.strings.bytes(at: Int(q)).count
                guard n <= field.maxBytes else { return "\(what()): string of \(n) bytes" }
                return nil
            }
            return field.quantizer.isValid(q) ? nil : "\(what()): \(q) is not a valid \(field.quantizer.kind) value"
        }
        guard s.match.count == coding.match.count else { return "\(s.match.count) match values" }
        for (f, field) in coding.match.enumerated() {
            if let problem = check(s.match[f], field, "match field \(f)") { return problem }
        }
        guard s.entities.count <= SnapshotDelta.maxEntities else { return "\(s.entities.count) entities" }
        var previous: UInt32 = 0
        for e in s.entities {
            guard e.id > previous else { return "entity \(e.id) after \(previous)" }
            previous = e.id
            guard Int(e.kind) < coding.kinds.count else { return "entity \(e.id) of kind \(e.kind)" }
            let fields = coding.kinds[Int(e.kind)]
            guard e.offset >= 0, Int(e.offset) + fields.count <= s.values.count else { return "entity \(e.id) at offset \(e.offset)" }
            for (f, field) in fields.enumerated() {
                if let problem = check(s.values[Int(e.offset) + f], field, "entity \(e.id) field \(f)") { return problem }
            }
        }
        guard s.events.count <= SnapshotMessage.maxEvents else { return "\(s.events.count) events" }
        for (i, e) in s.events.enumerated() {
            guard (0...255).contains(e.to), Int(e.kind) < coding.events.count else { return "event \(i): kind \(e.kind) to \(e.to)" }
            let fields = coding.events[Int(e.kind)]
            guard e.offset >= 0, Int(e.offset) + fields.count <= s.values.count else { return "event \(i) at offset \(e.offset)" }
            for (f, field) in fields.enumerated() {
                if let problem = check(s.values[Int(e.offset) + f], field, "event \(i) field \(f)") { return problem }
            }
        }
        return nil
    }
}
