import Testing
@testable import Protocol
import ProtocolTestSupport

/// Hand-made schema bytes, written from the spec rather than the encoder.
enum RawSchema {
    static func field(_ name: String, _ type: UInt8, _ params: (inout RawBytes) -> Void = { _ in }) -> [UInt8] {
        var raw = RawBytes()
        raw.string(name)
        raw.u8(type)
        params(&raw)
        return raw.bytes
    }

    static func fixed(_ name: String, _ min: Double, _ max: Double, _ step: Double) -> [UInt8] {
        field(name, 3) { $0.f64(min); $0.f64(max); $0.f64(step) }
    }

    static func set(_ fields: [[UInt8]]) -> [UInt8] {
        var raw = RawBytes()
        raw.varint(UInt64(fields.count))
        return raw.bytes + fields.flatMap { $0 }
    }

    static func named(_ sets: [(String, [[UInt8]])]) -> [UInt8] {
        var raw = RawBytes()
        raw.varint(UInt64(sets.count))
        for (name, fields) in sets {
            raw.string(name)
            raw.bytes += set(fields)
        }
        return raw.bytes
    }

    static func schema(match: [[UInt8]] = [], kinds: [(String, [[UInt8]])] = [], input: [[UInt8]] = [],
                       events: [(String, [[UInt8]])] = [], clientEvents: [(String, [[UInt8]])] = []) -> [UInt8] {
        set(match) + named(kinds) + set(input) + named(events) + named(clientEvents)
    }
}

@Suite struct SchemaCodingTests {
    private func decode(_ bytes: [UInt8]) throws(ProtocolError) -> GameSchema { try GameSchema.decode(bytes) }

    private func set(_ name: String, _ index: Int, _ fields: [Field]) -> FieldSet {
        FieldSet(name: name, index: index, fields: fields)
    }

    private func schema(match: [Field] = [], kinds: [(String, [Field])] = [], input: [Field] = [],
                        events: [(String, [Field])] = [], clientEvents: [(String, [Field])] = []) -> GameSchema {
        GameSchema(match: set("match", 0, match),
                   kinds: kinds.enumerated().map { set($1.0, $0 + 1, $1.1) },
                   input: input,
                   events: events.enumerated().map { set($1.0, $0 + 1, $1.1) },
                   clientEvents: clientEvents.enumerated().map { set($1.0, $0 + 1, $1.1) })
    }

    // MARK: Layout

    @Test func emptySchemaIsFiveZeroBytes() throws {
        let empty = GameSchema.placeholder
        #expect(empty.encode() == [0, 0, 0, 0, 0])
        #expect(try decode([0, 0, 0, 0, 0]) == empty)
    }

    @Test func bytesFollowTheSpec() throws {
        let s = schema(
            match: [Field(name: "hp", type: .integer(bits: 8, signed: false)), Field(name: "leader", type: .entity(kind: "ship"))],
            kinds: [("ship", [Field(name: "owner", type: .entity(kind: "ship")), Field(name: "x", type: .fixed(min: -1, max: 1, step: 0.5))])],
            input: [Field(name: "fire", type: .bool), Field(name: "turn", type: .integer(bits: 16, signed: true))],
            events: [("boom", [Field(name: "at", type: .entity(kind: nil)), Field(name: "dir", type: .angle(bits: 10))])],
            clientEvents: [("chat", [Field(name: "text", type: .string(maxBytes: 300))]),
                           ("look", [Field(name: "aim", type: .quat(bits: 12)), Field(name: "at", type: .f32),
                                     Field(name: "pos", type: .vec3(x: .init(min: 0, max: 8, step: 1),
                                                                      y: .init(min: -1, max: 1, step: 0.25),
                                                                      z: .init(min: 0, max: 1, step: 0.5)))])])
        let expected = RawSchema.schema(
            match: [RawSchema.field("hp", 1) { $0.u8(8); $0.u8(0) }, RawSchema.field("leader", 6) { $0.varint(1) }],
            kinds: [("ship", [RawSchema.field("owner", 6) { $0.varint(1) }, RawSchema.fixed("x", -1, 1, 0.5)])],
            input: [RawSchema.field("fire", 0), RawSchema.field("turn", 1) { $0.u8(16); $0.u8(1) }],
            events: [("boom", [RawSchema.field("at", 6) { $0.varint(0) }, RawSchema.field("dir", 4) { $0.u8(10) }])],
            clientEvents: [("chat", [RawSchema.field("text", 5) { $0.varint(300) }]),
                           ("look", [RawSchema.field("aim", 8) { $0.u8(12) }, RawSchema.field("at", 2),
                                     RawSchema.field("pos", 7) { r in
                                         for d in [0.0, 8, 1, -1, 1, 0.25, 0, 1, 0.5] { r.f64(d) }
                                     }])])
        #expect(s.encode() == expected)
        #expect(try decode(expected) == s)
        var counter = BitCounter()
        var copy = s
        try copy.serialize(&counter)
        #expect(counter.bitCount == expected.count * 8)
    }

    // MARK: Round trips

    @Test func randomSchemasRoundTrip() throws {
        var rng = SplitMix64(seed: 7)
        var seen = Set<UInt8>()
        for _ in 0..<500 {
            let s = RandomSchema.make(&rng)
            let bytes = s.encode()
            #expect(try decode(bytes) == s)
            var counter = BitCounter()
            var copy = s
            try copy.serialize(&counter)
            #expect(counter.bitCount == bytes.count * 8)
            for set in [s.match] + s.kinds + s.events + s.clientEvents {
                for f in set.fields { seen.insert(f.type.wireByte) }
            }
        }
        #expect(seen == Set(0...8), "the generator covers every field type")
    }

    @Test func maximumCountsAndNames() throws {
        let allTypes: [FieldType] = [
            .bool, .integer(bits: 32, signed: true), .f32, .fixed(min: 0, max: Double(UInt32.max), step: 1), .angle(bits: 16),
            .string(maxBytes: 4096), .entity(kind: nil), .quat(bits: 20),
            .vec3(x: .init(min: 0, max: 2_097_151, step: 1), y: .init(min: 0, max: 2_097_151, step: 1), z: .init(min: 0, max: 2_097_151, step: 1)),
        ]
        let kindNames = (0..<255).map { "k" + String(1000 + $0) }
        func fields(_ count: Int) -> [Field] {
            (0..<count).map { i in
                let type = i < allTypes.count ? allTypes[i] : (i == 63 ? .entity(kind: kindNames[254]) : .bool)
                return Field(name: "f" + String(100 + i), type: type)
            }
        }
        let s = schema(match: fields(64),
                       kinds: kindNames.map { ($0, fields(64)) },
                       input: fields(64).filter { if case .string = $0.type { false } else { true } },
                       events: (0..<255).map { ("e" + String(1000 + $0), fields(64)) },
                       clientEvents: (0..<255).map { ("c" + String(1000 + $0), fields(64)) })
        let bytes = s.encode()
        #expect(bytes.count < MessageType.maxMessageBytes)
        #expect(try decode(bytes) == s)

        let long = String(repeating: "n", count: 63)
        let names = schema(match: [Field(name: "A" + long, type: .bool), Field(name: "_" + long, type: .bool), Field(name: "z" + long, type: .bool)],
                           kinds: [("k" + long, [Field(name: "a" + long, type: .entity(kind: "k" + long))])])
        #expect(try decode(names.encode()) == names)
    }

    @Test func extremeFixedParameters() throws {
        let accepted: [(Double, Double, Double)] = [
            (0, Double(UInt32.max), 1),                                  // the most steps
            (-1e300, 1e300, 1e291),
            (0, 10 * .leastNonzeroMagnitude, .leastNonzeroMagnitude),    // subnormal step
            (1e15, 1e15 + 1, 0.5),
            (-0.0, 1, 1),                                                // one step
            (0, 0.3, 0.1),                                               // decimal step, the 1e-9 tolerance
            (-.greatestFiniteMagnitude, -.greatestFiniteMagnitude / 2, .greatestFiniteMagnitude / 4),
        ]
        for (min, max, step) in accepted {
            let s = schema(match: [Field(name: "f", type: .fixed(min: min, max: max, step: step))])
            let back = try decode(s.encode())
            guard case .fixed(let a, let b, let c) = back.match.fields[0].type else { Issue.record("not fixed"); continue }
            #expect([a.bitPattern, b.bitPattern, c.bitPattern] == [min.bitPattern, max.bitPattern, step.bitPattern])
        }
        let refused: [(Double, Double, Double)] = [
            (0, 4_294_967_296, 1),               // 2^32 steps
            (0, 1, 1.0 / 4_294_967_296),
            (1, 1, 0.1), (2, 1, 0.1),            // min ≥ max
            (0, 1, 0), (0, 1, -0.5), (0, 1, -0.0),
            (0, 1, 2),                           // step wider than the range: no whole step
            (.nan, 1, 0.1), (0, .nan, 0.1), (0, 1, .nan),
            (-.infinity, 1, 0.1), (0, .infinity, 0.1), (0, 1, .infinity),
            (-.greatestFiniteMagnitude, .greatestFiniteMagnitude, 1e300),   // max - min overflows
        ]
        for (min, max, step) in refused {
            expectRefused(.outOfRange) { () throws(ProtocolError) in try decode(RawSchema.schema(match: [RawSchema.fixed("f", min, max, step)])) }
        }
    }

    @Test func stringsAtTheirLimits() throws {
        for max in [1, 4096] {
            let s = schema(events: [("e", [Field(name: "s", type: .string(maxBytes: max))])])
            #expect(try decode(s.encode()) == s)
        }
        for max: UInt64 in [0, 4097, 1 << 60, .max] {
            expectRefused(.outOfRange) { () throws(ProtocolError) in
                try decode(RawSchema.schema(match: [RawSchema.field("s", 5) { $0.varint(max) }]))
            }
        }
    }

    // MARK: Refusals

    @Test func unknownTypeBytes() {
        for type: UInt8 in [9, 10, 0x7f, 0x80, 0xff] {
            expectRefused(.unknown) { () throws(ProtocolError) in try decode(RawSchema.schema(match: [RawSchema.field("f", type)])) }
        }
    }

    @Test func typeParametersOutOfRange() {
        let cases: [[UInt8]] = [
            RawSchema.field("i", 1) { $0.u8(0); $0.u8(0) },
            RawSchema.field("i", 1) { $0.u8(7); $0.u8(0) },
            RawSchema.field("i", 1) { $0.u8(64); $0.u8(1) },
            RawSchema.field("i", 1) { $0.u8(8); $0.u8(2) },
            RawSchema.field("a", 4) { $0.u8(1) },
            RawSchema.field("a", 4) { $0.u8(17) },
            RawSchema.field("a", 4) { $0.u8(0) },
            RawSchema.field("q", 8) { $0.u8(5) },
            RawSchema.field("q", 8) { $0.u8(21) },
            // three axes of 2^21 steps: 22 bits each, 66 together
            RawSchema.field("v", 7) { r in for _ in 0..<3 { r.f64(0); r.f64(2_097_152); r.f64(1) } },
            // 21 + 21 + 22 = 64
            RawSchema.field("v", 7) { r in for m in [2_097_151.0, 2_097_151, 2_097_152] { r.f64(0); r.f64(m); r.f64(1) } },
            RawSchema.field("v", 7) { r in r.f64(0); r.f64(1); r.f64(1); r.f64(1); r.f64(0); r.f64(1); r.f64(0); r.f64(1); r.f64(1) },
            RawSchema.field("e", 6) { $0.varint(256) },
        ]
        for field in cases {
            expectRefused(.outOfRange) { () throws(ProtocolError) in try decode(RawSchema.schema(match: [field])) }
        }
        // 21 + 21 + 21 = 63 is the widest vec3; one axis may take more than a
        // fixed's 32 bits (41 + 11 + 11), as the engine allows.
        let widest = RawSchema.field("v", 7) { r in for _ in 0..<3 { r.f64(0); r.f64(2_097_151); r.f64(1) } }
        let lopsided = RawSchema.field("v", 7) { r in for m in [0x1p41 - 1, 2047, 2047] { r.f64(0); r.f64(m); r.f64(1) } }
        for field in [widest, lopsided] {
            #expect(throws: Never.self) { try decode(RawSchema.schema(match: [field])) }
        }
        // But no axis beyond 2^62 steps, whatever the others.
        let huge = RawSchema.field("v", 7) { r in r.f64(0); r.f64(0x1p63); r.f64(1); for _ in 0..<2 { r.f64(0); r.f64(1); r.f64(1) } }
        expectRefused(.outOfRange) { () throws(ProtocolError) in try decode(RawSchema.schema(match: [huge])) }
    }

    @Test func entityKindReferences() throws {
        let kinds: [(String, [[UInt8]])] = [("a", []), ("b", [RawSchema.field("t", 6) { $0.varint(1) }])]
        let s = try decode(RawSchema.schema(match: [RawSchema.field("x", 6) { $0.varint(2) }, RawSchema.field("y", 6) { $0.varint(0) }],
                                            kinds: kinds))
        #expect(s.match.fields.map(\.type) == [.entity(kind: "b"), .entity(kind: nil)])
        #expect(s.kinds[1].fields[0].type == .entity(kind: "a"))
        // Kind number 3 with two kinds, and any reference with none.
        expectRefused(.outOfRange) { () throws(ProtocolError) in
            try decode(RawSchema.schema(match: [RawSchema.field("x", 6) { $0.varint(3) }], kinds: kinds))
        }
        expectRefused(.outOfRange) { () throws(ProtocolError) in
            try decode(RawSchema.schema(events: [("e", [RawSchema.field("x", 6) { $0.varint(1) }])]))
        }
    }

    @Test func namesMustBeSortedUniqueIdentifiers() {
        let bool = { (name: String) in RawSchema.field(name, 0) }
        let badSets: [[[UInt8]]] = [
            [bool("b"), bool("a")],
            [bool("a"), bool("a")],
            [bool("a"), bool("B")],          // "B" (0x42) sorts before "a" (0x61)
            [bool("")],
            [bool("1a")],
            [bool("a-b")],
            [bool("a b")],
            [bool("é")],
            [bool(String(repeating: "a", count: 65))],
        ]
        for fields in badSets {
            expectRefused(.outOfRange) { () throws(ProtocolError) in try decode(RawSchema.schema(match: fields)) }
            expectRefused(.outOfRange) { () throws(ProtocolError) in try decode(RawSchema.schema(kinds: [("k", fields)])) }
        }
        for names in [["b", "a"], ["a", "a"], [""], ["9"], ["Z", "A"], [String(repeating: "x", count: 65)]] {
            let sets = names.map { ($0, [[UInt8]]()) }
            expectRefused(.outOfRange) { () throws(ProtocolError) in try decode(RawSchema.schema(kinds: sets)) }
            expectRefused(.outOfRange) { () throws(ProtocolError) in try decode(RawSchema.schema(events: sets)) }
            expectRefused(.outOfRange) { () throws(ProtocolError) in try decode(RawSchema.schema(clientEvents: sets)) }
        }
        // Names are compared by bytes: "B" < "_" < "a".
        #expect(throws: Never.self) {
            try decode(RawSchema.schema(match: [bool("B"), bool("_"), bool("a"), bool("a0"), bool("ab")]))
        }
        // Invalid UTF-8 in a name.
        var raw = RawBytes([1])
        raw.raw([0x61, 0xff])
        raw.u8(0)
        expectRefused(.outOfRange) { () throws(ProtocolError) in try decode(raw.bytes + [0, 0, 0, 0]) }
    }

    @Test func countsAboveTheLimits() {
        func many(_ n: Int) -> [(String, [[UInt8]])] { (0..<n).map { ("n" + String(1000 + $0), []) } }
        let fields65 = (0..<65).map { RawSchema.field("f" + String(100 + $0), 0) }
        let refused: [[UInt8]] = [
            RawSchema.schema(match: fields65),
            RawSchema.schema(input: fields65),
            RawSchema.schema(kinds: [("k", fields65)]),
            RawSchema.schema(kinds: many(256)),
            RawSchema.schema(events: many(256)),
            RawSchema.schema(clientEvents: many(256)),
        ]
        for bytes in refused {
            expectRefused(.outOfRange) { () throws(ProtocolError) in try decode(bytes) }
        }
        // The limits themselves are fine.
        #expect(throws: Never.self) {
            try decode(RawSchema.schema(kinds: many(255), events: many(255), clientEvents: many(255)))
        }
    }

    @Test func inputsHaveNoStrings() {
        expectRefused(.outOfRange) { () throws(ProtocolError) in
            try decode(RawSchema.schema(input: [RawSchema.field("say", 5) { $0.varint(10) }]))
        }
    }

    @Test func hugeClaimsFailFast() {
        var counts = RawBytes()
        counts.varint(1 << 60)
        expectRefused(.outOfRange) { () throws(ProtocolError) in try decode(counts.bytes) }
        // 64 fields announced, 3 bytes left.
        expectRefused(.truncated) { () throws(ProtocolError) in try decode([64, 1, 0x61, 0]) }
        // 255 kinds announced, nothing left.
        expectRefused(.truncated) { () throws(ProtocolError) in try decode([0, 0xff, 0x01]) }
        var name = RawBytes([1])
        name.varint(1 << 60)
        expectRefused(.outOfRange) { () throws(ProtocolError) in try decode(name.bytes) }
    }

    @Test func trailingBytesAreRefused() {
        expectRefused(.outOfRange) { () throws(ProtocolError) in try decode([0, 0, 0, 0, 0, 0]) }
    }

    // MARK: Damage

    @Test func everyPrefixIsTruncated() {
        var rng = SplitMix64(seed: 11)
        for _ in 0..<40 {
            let s = RandomSchema.make(&rng)
            DecoderChecks.byteAtATime(s.encode(), expected: s, decode)
        }
    }

    @Test func garbageAndDamageNeverCrash() {
        var rng = SplitMix64(seed: 12)
        let valid = (0..<50).map { _ in RandomSchema.make(&rng).encode() }
        DecoderChecks.garbage(seed: 13, prefix: [1, 1, 0x61, 0], decode, reencode: { $0.encode() })
        DecoderChecks.damaged(seed: 14, messages: valid, decode, reencode: { $0.encode() })
    }
}
