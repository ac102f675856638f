import Testing
@testable import Protocol
import ProtocolTestSupport

@Suite struct ErrorMessageTests {
    @Test func bytesFollowTheSpec() throws {
        let m = ErrorMessage(code: .matchFull, reason: "full")
        #expect(m.encode() == [0x03, 0x03, 0x04, 0x66, 0x75, 0x6c, 0x6c])
        #expect(try ErrorMessage.decode(m.encode()) == m)
        #expect(try MessageType(of: m.encode()) == .error)
    }

    @Test func everyCodeRoundTrips() throws {
        let codes: [ErrorMessage.Code] = [.protocolVersion, .malformed, .matchFull, .matchOver, .refused, .kicked,
                                          .tooSlow, .flooding, .forbidden, .notFound,
                                          .other(0), .other(11), .other(4002), .other(.max)]
        for (i, code) in codes.enumerated() {
            let m = ErrorMessage(code: code, reason: i.isMultiple(of: 2) ? "" : "reason é \(i)")
            #expect(try ErrorMessage.decode(m.encode()) == m)
        }
        #expect(codes.prefix(10).map(\.rawValue) == Array(1...10))
        for raw: UInt64 in 1...10 { #expect(ErrorMessage.Code(rawValue: raw).rawValue == raw) }
        #expect(ErrorMessage.Code(rawValue: 11) == .other(11))
        // An unknown code from a newer server is kept, reason and all.
        var raw = RawBytes([0x03])
        raw.varint(99)
        raw.string("new")
        #expect(try ErrorMessage.decode(raw.bytes) == ErrorMessage(code: .other(99), reason: "new"))
    }

    @Test func longReasonsAreCutAtACharacterBoundary() throws {
        let exact = String(repeating: "a", count: 256)
        #expect(ErrorMessage(code: .kicked, reason: exact).reason == exact)
        // 255 bytes, then a 2-byte character that would end at byte 257.
        let split = String(repeating: "a", count: 255) + "é"
        #expect(ErrorMessage(code: .kicked, reason: split).reason == String(repeating: "a", count: 255))
        for tail in ["€", "😀"] {
            for pad in 250...256 {
                let reason = String(repeating: "b", count: pad) + String(repeating: tail, count: 3)
                let cut = ErrorMessage(code: .refused, reason: reason).reason
                #expect(cut.utf8.count <= 256 && cut.utf8.count > 252)
                #expect(reason.hasPrefix(cut))
                #expect(try ErrorMessage.decode(ErrorMessage(code: .refused, reason: reason).encode()).reason == cut)
            }
        }
        // A reason set after init is cut when encoded.
        var m = ErrorMessage(code: .matchOver, reason: "")
        m.reason = String(repeating: "字", count: 100)
        #expect(try ErrorMessage.decode(m.encode()).reason == String(repeating: "字", count: 85))
    }

    @Test func decoderEnforcesTheSpec() {
        var long = RawBytes([0x03, 0x02])
        long.string(String(repeating: "x", count: 257))
        expectRefused(.outOfRange) { () throws(ProtocolError) in try ErrorMessage.decode(long.bytes) }
        var bad = RawBytes([0x03, 0x02])
        bad.raw([0x61, 0xc3])
        expectRefused(.outOfRange) { () throws(ProtocolError) in try ErrorMessage.decode(bad.bytes) }
        var huge = RawBytes([0x03, 0x02])
        huge.varint(1 << 60)
        expectRefused(.outOfRange) { () throws(ProtocolError) in try ErrorMessage.decode(huge.bytes) }
        var cut = RawBytes([0x03, 0x02])
        cut.varint(200)
        expectRefused(.truncated) { () throws(ProtocolError) in try ErrorMessage.decode(cut.bytes + [0x61]) }
        expectRefused(.unknown) { () throws(ProtocolError) in try ErrorMessage.decode([0x01, 0x02, 0x00]) }
        expectRefused(.outOfRange) { () throws(ProtocolError) in try ErrorMessage.decode([0x03, 0x02, 0x00, 0x00]) }
        expectRefused(.truncated) { () throws(ProtocolError) in try ErrorMessage.decode([]) }
    }

    static func random(_ rng: inout SplitMix64) -> ErrorMessage {
        let code = rng.chance(0.8) ? ErrorMessage.Code(rawValue: UInt64(rng.int(1...6))) : .other(rng.next())
        return ErrorMessage(code: code, reason: String(decoding: RandomSchema.text(&rng, maxBytes: rng.int(0...300)), as: UTF8.self))
    }

    @Test func everyPrefixIsTruncated() {
        var rng = SplitMix64(seed: 51)
        for _ in 0..<50 {
            let m = Self.random(&rng)
            DecoderChecks.byteAtATime(m.encode(), expected: m, ErrorMessage.decode)
        }
    }

    @Test func garbageAndDamageNeverCrash() {
        var rng = SplitMix64(seed: 52)
        let valid = (0..<50).map { _ in Self.random(&rng).encode() }
        DecoderChecks.garbage(seed: 53, prefix: [0x03, 0x05], ErrorMessage.decode, reencode: { $0.encode() })
        DecoderChecks.damaged(seed: 54, messages: valid, ErrorMessage.decode, reencode: { $0.encode() })
    }
}
