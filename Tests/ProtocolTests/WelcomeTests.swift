import Testing
@testable import Protocol
import ProtocolTestSupport

@Suite struct WelcomeTests {
    static func random(_ rng: inout SplitMix64) -> Welcome {
        Welcome(playerID: rng.int(0...255),
                matchID: String(decoding: RandomSchema.text(&rng, maxBytes: rng.int(0...64)), as: UTF8.self),
                tickRate: rng.int(1...120),
                tick: rng.chance(0.1) ? .max : rng.int(0...1_000_000),
                resumeToken: String(decoding: RandomSchema.text(&rng, maxBytes: rng.pick([0, 16, 128])), as: UTF8.self),
                schema: RandomSchema.make(&rng))
    }

    /// A welcome header by hand, before the schema.
    static func header(version: UInt64 = 2, player: UInt64 = 1, matchID: [UInt8] = Array("m".utf8), tickRate: UInt64 = 30,
                       tick: UInt64 = 0, token: [UInt8] = []) -> [UInt8] {
        var raw = RawBytes([0x01])
        raw.varint(version)
        raw.varint(player)
        raw.raw(matchID)
        raw.varint(tickRate)
        raw.varint(tick)
        raw.raw(token)
        return raw.bytes
    }

    static let emptySchema: [UInt8] = [0, 0, 0, 0, 0]

    @Test func bytesFollowTheSpec() throws {
        let w = Welcome(playerID: 3, matchID: "m1", tickRate: 30, tick: 300, resumeToken: "tok", schema: .placeholder)
        let expected: [UInt8] = [0x01, 0x02, 0x03, 0x02, 0x6d, 0x31, 30, 0xac, 0x02, 0x03, 0x74, 0x6f, 0x6b] + Self.emptySchema
        #expect(w.encode() == expected)
        #expect(try Welcome.decode(expected) == w)
        #expect(try MessageType(of: expected) == .welcome)
    }

    @Test func randomWelcomesRoundTrip() throws {
        var rng = SplitMix64(seed: 21)
        for _ in 0..<300 {
            let w = Self.random(&rng)
            #expect(try Welcome.decode(w.encode()) == w)
        }
    }

    @Test func valuesAtTheirLimits() throws {
        let long = Welcome(playerID: 255, matchID: String(repeating: "é", count: 32), tickRate: 120, tick: .max,
                           resumeToken: String(repeating: "t", count: 128), schema: .placeholder)
        #expect(try Welcome.decode(long.encode()) == long)
        let spectator = Welcome(playerID: 0, matchID: "", tickRate: 1, tick: 0, schema: .placeholder)
        #expect(try Welcome.decode(spectator.encode()) == spectator)
    }

    @Test func anotherVersionIsRefusedByName() {
        var w = Welcome(playerID: 1, matchID: "m", tickRate: 30, tick: 0, schema: .placeholder)
        for other in [1, 3] {
            w.protocolVersion = other
            do {
                _ = try Welcome.decode(w.encode())
                Issue.record("decoded a version \(other) welcome")
            } catch {
                #expect(error == ProtocolError(.version, "server speaks protocol \(other), this client speaks 2"))
            }
        }
        // The version is checked before anything that may differ in that version.
        expectRefused(.version) { () throws(ProtocolError) in try Welcome.decode([0x01, 0x01]) }
        expectRefused(.version) { () throws(ProtocolError) in try Welcome.decode([0x01, 0x03]) }
        expectRefused(.version) { () throws(ProtocolError) in try Welcome.decode([0x01, 0x00, 0xff, 0xff]) }
        var huge = RawBytes([0x01])
        huge.varint(.max)
        expectRefused(.version) { () throws(ProtocolError) in try Welcome.decode(huge.bytes) }
    }

    @Test func limitsAreEnforced() {
        let refused: [[UInt8]] = [
            Self.header(player: 256),
            Self.header(matchID: [UInt8](repeating: 0x61, count: 65)),
            Self.header(matchID: [0xc3, 0x28]),   // not UTF-8
            Self.header(tickRate: 0),
            Self.header(tickRate: 121),
            Self.header(tick: 1 << 63),
            Self.header(token: [UInt8](repeating: 0x61, count: 129)),
        ]
        for bytes in refused {
            expectRefused(.outOfRange) { () throws(ProtocolError) in try Welcome.decode(bytes + Self.emptySchema) }
        }
        #expect(throws: Never.self) {
            try Welcome.decode(Self.header(player: 255, matchID: [UInt8](repeating: 0x61, count: 64), tickRate: 120,
                                           tick: UInt64(Int.max), token: [UInt8](repeating: 0x61, count: 128)) + Self.emptySchema)
        }
    }

    @Test func otherTypesAndTrailingBytesAreRefused() {
        let good = Self.header() + Self.emptySchema
        expectRefused(.truncated) { () throws(ProtocolError) in try Welcome.decode([]) }
        for type: UInt8 in [0x00, 0x02, 0x03, 0x81, 0xff] {
            expectRefused(.unknown) { () throws(ProtocolError) in try Welcome.decode([type] + good.dropFirst()) }
        }
        expectRefused(.outOfRange) { () throws(ProtocolError) in try Welcome.decode(good + [0]) }
        expectRefused(.outOfRange) { () throws(ProtocolError) in
            try Welcome.decode(good + [UInt8](repeating: 0, count: MessageType.maxMessageBytes))
        }
    }

    @Test func hugeClaimedLengthsFailFast() {
        var raw = RawBytes([0x01, 0x02, 0x01])
        raw.varint(1 << 60)
        expectRefused(.outOfRange) { () throws(ProtocolError) in try Welcome.decode(raw.bytes + [0x61]) }
        // A token of 100 bytes with two left.
        var cut = RawBytes(Array(Self.header().dropLast()))
        cut.varint(100)
        expectRefused(.truncated) { () throws(ProtocolError) in try Welcome.decode(cut.bytes + [0x61, 0x62]) }
    }

    @Test func everyPrefixIsTruncated() {
        var rng = SplitMix64(seed: 22)
        for _ in 0..<30 {
            let w = Self.random(&rng)
            DecoderChecks.byteAtATime(w.encode(), expected: w, Welcome.decode)
        }
    }

    @Test func garbageAndDamageNeverCrash() {
        var rng = SplitMix64(seed: 23)
        let valid = (0..<50).map { _ in Self.random(&rng).encode() }
        DecoderChecks.garbage(seed: 24, prefix: Self.header(), Welcome.decode, reencode: { $0.encode() })
        DecoderChecks.damaged(seed: 25, messages: valid, Welcome.decode, reencode: { $0.encode() })
    }
}
