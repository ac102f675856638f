import Testing
@testable import Protocol
import ProtocolTestSupport

@Suite struct ClientMessagesTests {
    private func set(_ name: String, _ index: Int, _ fields: [Field]) -> FieldSet { FieldSet(name: name, index: index, fields: fields) }

    /// fire: bool, turn: i8; client events chat { text: string(300) }, look { pos: vec3 }.
    private var schema: GameSchema {
        GameSchema(match: set("match", 0, []), kinds: [],
                   input: [Field(name: "fire", type: .bool), Field(name: "turn", type: .integer(bits: 8, signed: true))],
                   events: [],
                   clientEvents: [set("chat", 1, [Field(name: "text", type: .string(maxBytes: 300))]),
                                  set("look", 2, [Field(name: "pos", type: .vec3(x: .init(min: 0, max: 2, step: 1),
                                                                                  y: .init(min: 0, max: 1, step: 1),
                                                                                  z: .init(min: 0, max: 1, step: 1)))])])
    }

    private func decode(_ bytes: [UInt8], _ schema: GameSchema) throws(ProtocolError) -> ClientMessage {
        try ClientMessage.decode(bytes, schema: schema)
    }

    /// Bits packed low first into bytes, independent of BitWriter.
    private func pack(_ parts: [(UInt64, Int)]) -> [UInt8] {
        var bytes: [UInt8] = []
        var acc: UInt64 = 0
        var n = 0
        for (v, count) in parts {
            for i in 0..<count {
                acc |= ((v >> UInt64(i)) & 1) << UInt64(n)
                n += 1
                if n == 8 { bytes.append(UInt8(acc)); acc = 0; n = 0 }
            }
        }
        if n > 0 { bytes.append(UInt8(acc)) }
        return bytes
    }

    // MARK: Layout

    @Test func inputBytesFollowTheSpec() throws {
        let input = InputMessage(sequence: 5, values: [1, -3])
        let expected: [UInt8] = [0x81, 0x05] + pack([(1, 1), (UInt64(-3 + 128), 8)])
        #expect(expected == [0x81, 0x05, 0xfb, 0x00])
        #expect(input.encode(schema: schema) == expected)
        #expect(try decode(expected, schema) == .input(input))
    }

    @Test func clientEventBytesFollowTheSpec() throws {
        let chat = ClientEventMessage(event: 0, values: [0], strings: StringTable([Array("hi".utf8)]))
        let expected: [UInt8] = [0x82] + pack([(0, 1), (2, 9), (0x68, 8), (0x69, 8)])
        #expect(chat.encode(schema: schema) == expected)
        #expect(try decode(expected, schema) == .clientEvent(chat))

        // x = 2 (2 bits), y = 1 (1 bit), z = 1 (1 bit): 2 | 1 << 2 | 1 << 3
        let look = ClientEventMessage(event: 1, values: [2 | 1 << 2 | 1 << 3])
        let lookBytes: [UInt8] = [0x82] + pack([(1, 1), (0b1110, 4)])
        #expect(look.encode(schema: schema) == lookBytes)
        #expect(try decode(lookBytes, schema) == .clientEvent(look))
    }

    @Test func aSchemaAcceptsOnlyClientEventsItCanEncode() {
        let hi = StringTable([Array("hi".utf8)])
        #expect(schema.accepts(clientEvent: ClientEventMessage(event: 0, values: [0], strings: hi)))
        #expect(schema.accepts(clientEvent: ClientEventMessage(event: 1, values: [2 | 1 << 2 | 1 << 3])))
        #expect(!schema.accepts(clientEvent: ClientEventMessage(event: 2, values: [])), "no third event")
        #expect(!schema.accepts(clientEvent: ClientEventMessage(event: -1, values: [])))
        #expect(!schema.accepts(clientEvent: ClientEventMessage(event: 0, values: [0])), "no string 0 in the table")
        #expect(!schema.accepts(clientEvent: ClientEventMessage(event: 0, values: [0, 0], strings: hi)), "one value too many")
        #expect(!schema.accepts(clientEvent: ClientEventMessage(event: 1, values: [3])), "x holds 0...2")
    }

    @Test func ackBytesFollowTheSpec() throws {
        #expect(AckMessage(tick: 300).encode() == [0x83, 0xac, 0x02])
        #expect(try decode([0x83, 0xac, 0x02], schema) == .ack(AckMessage(tick: 300)))
        #expect(try decode(AckMessage(tick: .max).encode(), schema) == .ack(AckMessage(tick: .max)))
        #expect(try decode([0x83, 0x00], schema) == .ack(AckMessage(tick: 0)))
    }

    // MARK: Round trips

    static func randomMessages(_ rng: inout SplitMix64, _ schema: GameSchema) -> [ClientMessage] {
        var strings = StringTable()
        var messages: [ClientMessage] = [
            .input(InputMessage(sequence: rng.chance(0.1) ? .max : UInt64(rng.int(1...100_000)),
                                values: RandomSchema.values(&rng, schema.input, strings: &strings))),
            .ack(AckMessage(tick: rng.chance(0.1) ? .max : rng.int(0...1_000_000))),
        ]
        if !schema.clientEvents.isEmpty {
            let event = rng.int(0...schema.clientEvents.count - 1)
            var table = StringTable()
            let values = RandomSchema.values(&rng, schema.clientEvents[event].fields, strings: &table)
            messages.append(.clientEvent(ClientEventMessage(event: event, values: values, strings: table)))
        }
        return messages
    }

    @Test func randomMessagesRoundTrip() throws {
        var rng = SplitMix64(seed: 31)
        for _ in 0..<300 {
            let schema = RandomSchema.make(&rng, sizes: .init(fields: 0...12, clientEvents: 0...5))
            for message in Self.randomMessages(&rng, schema) {
                #expect(try decode(message.encode(schema: schema), schema) == message)
            }
        }
    }

    @Test func stringsAtTheirLimits() throws {
        let types: [FieldType] = [.string(maxBytes: 1), .string(maxBytes: 4096), .string(maxBytes: 7)]
        let schema = GameSchema(match: set("match", 0, []), kinds: [], input: [], events: [],
                                clientEvents: [set("say", 1, zip(["a", "b", "c"], types).map { Field(name: $0, type: $1) })])
        for texts in [["x", String(repeating: "€", count: 1365), "😀字"], ["", "", ""], ["q", String(repeating: "z", count: 4096), "1234567"]] {
            let bytes = texts.map { Array($0.utf8) }
            let message = ClientEventMessage(event: 0, values: [0, 1, 2], strings: StringTable(bytes))
            #expect(try decode(message.encode(schema: schema), schema) == .clientEvent(message))
        }
    }

    // MARK: Refusals

    @Test func inputSequencesStartAtOne() {
        expectRefused(.outOfRange) { () throws(ProtocolError) in try decode([0x81, 0x00] + pack([(0, 9)]), schema) }
    }

    @Test func valuesOutsideTheirTypeAreRefused() {
        let fixed = GameSchema(match: set("match", 0, []), kinds: [],
                               input: [Field(name: "f", type: .fixed(min: 0, max: 2, step: 1))], events: [])
        #expect(throws: Never.self) { try decode([0x81, 0x01, 0b10], fixed) }
        expectRefused(.outOfRange) { () throws(ProtocolError) in try decode([0x81, 0x01, 0b11], fixed) }
        // vec3 with x above its 2 steps: x = 3.
        expectRefused(.outOfRange) { () throws(ProtocolError) in try decode([0x82] + pack([(1, 1), (0b0011, 4)]), schema) }
        // A string longer than its maximum: 301 in int(0...300).
        expectRefused(.outOfRange) { () throws(ProtocolError) in try decode([0x82] + pack([(0, 1), (301, 9)]), schema) }
        // Invalid UTF-8.
        expectRefused(.outOfRange) { () throws(ProtocolError) in try decode([0x82] + pack([(0, 1), (1, 9), (0xff, 8)]), schema) }
        expectRefused(.outOfRange) { () throws(ProtocolError) in try decode([0x82] + pack([(0, 1), (2, 9), (0xe2, 8), (0x82, 8)]), schema) }
    }

    @Test func clientEventIndexMustExist() throws {
        let three = GameSchema(match: set("match", 0, []), kinds: [], input: [], events: [],
                               clientEvents: [set("a", 1, []), set("b", 2, []), set("c", 3, [])])
        #expect(try decode([0x82, 0b10], three) == .clientEvent(ClientEventMessage(event: 2, values: [])))
        expectRefused(.outOfRange) { () throws(ProtocolError) in try decode([0x82, 0b11], three) }
        let none = GameSchema.placeholder
        expectRefused(.outOfRange) { () throws(ProtocolError) in try decode([0x82, 0x00], none) }
        // One client event takes no bits.
        let one = GameSchema(match: set("match", 0, []), kinds: [], input: [], events: [], clientEvents: [set("ping", 1, [])])
        #expect(try decode([0x82], one) == .clientEvent(ClientEventMessage(event: 0, values: [])))
    }

    @Test func onlyClientTypesAreAccepted() {
        for type: UInt8 in [0x01, 0x02, 0x03, 0x00, 0x80, 0x84, 0xff] {
            expectRefused(.unknown) { () throws(ProtocolError) in try decode([type, 0x01, 0x00], schema) }
        }
        expectRefused(.truncated) { () throws(ProtocolError) in try decode([], schema) }
        expectRefused(.outOfRange) { () throws(ProtocolError) in
            try decode([0x83] + [UInt8](repeating: 0x80, count: MessageType.maxMessageBytes), schema)
        }
    }

    @Test func paddingAndTrailingBytesAreRefused() {
        // input 1: fire = 1, turn = 0 (128 - 128), then 7 padding bits that must be zero.
        let good = [0x81, 0x01] + pack([(1, 1), (128, 8)])
        #expect(throws: Never.self) { try decode(good, schema) }
        var dirty = good
        dirty[dirty.count - 1] |= 0x80
        expectRefused(.outOfRange) { () throws(ProtocolError) in try decode(dirty, schema) }
        expectRefused(.outOfRange) { () throws(ProtocolError) in try decode(good + [0], schema) }
        expectRefused(.outOfRange) { () throws(ProtocolError) in try decode([0x83, 0x01, 0x00], schema) }
    }

    @Test func hugeClaimsFailFast() {
        var ack = RawBytes([0x83])
        ack.varint(1 << 63)
        expectRefused(.outOfRange) { () throws(ProtocolError) in try decode(ack.bytes, schema) }
        // A 300-byte string announced with one byte left.
        expectRefused(.truncated) { () throws(ProtocolError) in try decode([0x82] + pack([(0, 1), (300, 9), (0x61, 8)]), schema) }
        let overlong: [UInt8] = [0x81] + [UInt8](repeating: 0xff, count: 10) + [0x01]
        expectRefused(.outOfRange) { () throws(ProtocolError) in try decode(overlong, schema) }
    }

    // MARK: Damage

    @Test func everyPrefixIsTruncated() {
        var rng = SplitMix64(seed: 32)
        for _ in 0..<60 {
            let schema = RandomSchema.make(&rng, sizes: .init(fields: 0...12, clientEvents: 1...5))
            for message in Self.randomMessages(&rng, schema) {
                DecoderChecks.byteAtATime(message.encode(schema: schema), expected: message) { (b: [UInt8]) throws(ProtocolError) in
                    try decode(b, schema)
                }
            }
        }
    }

    @Test func garbageAndDamageNeverCrash() {
        var rng = SplitMix64(seed: 33)
        let schema = RandomSchema.make(&rng, sizes: .init(fields: 3...10, clientEvents: 2...4))
        let valid = (0..<60).flatMap { _ in Self.randomMessages(&rng, schema).map { $0.encode(schema: schema) } }
        let decode = { (b: [UInt8]) throws(ProtocolError) in try ClientMessage.decode(b, schema: schema) }
        for (i, type) in ([0x81, 0x82, 0x83] as [UInt8]).enumerated() {
            DecoderChecks.garbage(seed: 34 + UInt64(i), prefix: [type], decode, reencode: { $0.encode(schema: schema) })
        }
        DecoderChecks.damaged(seed: 40, messages: valid, decode, reencode: { $0.encode(schema: schema) })
        // Garbage against the small fixed schema too, where most of it decodes.
        let small = self.schema
        let hits = DecoderChecks.garbage(seed: 41, prefix: [0x81, 0x01], { (b: [UInt8]) throws(ProtocolError) in
            try ClientMessage.decode(b, schema: small)
        }, reencode: { $0.encode(schema: small) })
        #expect(hits > 0)
    }
}
