import Testing
@testable import Protocol
import ProtocolTestSupport

/// BitWriter, BitReader and BitCounter, and the value codes of BitStream
/// (docs/protocol.md, "Conventions").
@Suite struct BitStreamTests {
    private func write(_ body: (inout BitWriter) throws(ProtocolError) -> Void) -> [UInt8] {
        var w = BitWriter()
        try! body(&w)
        return w.finish()
    }

    // MARK: Bit order and widths

    @Test func bitsGoLeastSignificantFirst() {
        #expect(write { w in w.write(0b101, count: 3); w.write(1, count: 1) } == [0b0000_1101])
        #expect(write { w in w.write(0x1234_5678_9abc_def0, count: 64) } == [0xf0, 0xde, 0xbc, 0x9a, 0x78, 0x56, 0x34, 0x12])
        #expect(write { w in w.write(1, count: 1); w.write(0xff, count: 8) } == [0xff, 0x01])
        #expect(write { _ in } == [])
    }

    @Test func mixedWidthsRoundTrip() throws {
        var rng = SplitMix64(seed: 1)
        for _ in 0..<300 {
            var items: [(UInt64, Int)] = []
            var writer = BitWriter()
            var counter = BitCounter()
            for _ in 0..<rng.int(0...60) {
                let count = rng.chance(0.2) ? rng.pick([0, 1, 63, 64]) : rng.int(0...64)
                let value = count == 0 ? 0 : rng.next() >> UInt64(64 - count)
                items.append((value, count))
                writer.write(value, count: count)
                var v = value
                try counter.bits(&v, count: count)
            }
            #expect(counter.bitCount == writer.bitCount)
            let bytes = writer.finish()
            #expect(bytes.count == (counter.bitCount + 7) / 8)
            var reader = BitReader(bytes)
            for (value, count) in items { #expect(try reader.read(count: count) == value) }
            try reader.expectEnd()
        }
    }

    @Test func sixtyFourBitValuesAtEveryOffset() throws {
        for offset in 0..<64 {
            for value: UInt64 in [0, 1, .max, 1 << 63, 0x8000_0000_0000_0001, 0x0123_4567_89ab_cdef] {
                var w = BitWriter()
                w.write(0, count: offset)
                w.write(value, count: 64)
                w.write(1, count: 1)
                var r = BitReader(w.finish())
                #expect(try r.read(count: offset) == 0)
                #expect(try r.read(count: 64) == value)
                #expect(try r.read(count: 1) == 1)
                try r.expectEnd()
            }
        }
    }

    @Test func readingPastTheEndIsTruncated() throws {
        var r = BitReader([0xff])
        #expect(try r.read(count: 5) == 0b11111)
        expectRefused(.truncated) { () throws(ProtocolError) in try r.read(count: 4) }
        #expect(try r.read(count: 3) == 0b111)
        expectRefused(.truncated) { () throws(ProtocolError) in try r.read(count: 1) }
        var empty = BitReader([])
        #expect(try empty.read(count: 0) == 0)
        expectRefused(.truncated) { () throws(ProtocolError) in try empty.read(count: 64) }
    }

    // MARK: Alignment

    @Test func paddingMustBeZero() throws {
        var ok = BitReader([0b0000_0001, 0x7f])
        #expect(try ok.read(count: 1) == 1)
        try ok.align()
        #expect(try ok.read(count: 8) == 0x7f)
        try ok.expectEnd()

        for bad: UInt8 in [0b0000_0011, 0b1000_0001, 0b0100_0001] {
            var r = BitReader([bad])
            _ = try r.read(count: 1)
            expectRefused(.outOfRange) { () throws(ProtocolError) in try r.align() }
        }
        var r = BitReader([0b1000_0001])
        _ = try r.read(count: 1)
        expectRefused(.outOfRange) { () throws(ProtocolError) in try r.expectEnd() }
    }

    @Test func alignOnABoundaryReadsNothing() throws {
        var r = BitReader([0xab])
        try r.align()
        #expect(r.position == 0)
        _ = try r.read(count: 8)
        try r.align()
        try r.expectEnd()
    }

    @Test func bytesAfterTheEndAreRefused() throws {
        var r = BitReader([0x05, 0x00])
        _ = try r.read(count: 8)
        expectRefused(.outOfRange) { () throws(ProtocolError) in try r.expectEnd() }
    }

    @Test func writerPadsWithZerosAndCounterAligns() throws {
        var w = BitWriter()
        w.write(0b111, count: 3)
        try w.align()
        w.write(1, count: 1)
        #expect(w.finish() == [0b111, 0b1])
        var c = BitCounter()
        var v: UInt64 = 5
        try c.bits(&v, count: 3)
        try c.align()
        #expect(c.bitCount == 8)
        try c.align()
        #expect(c.bitCount == 8)
    }

    @Test func appendAlignsThenCopiesBytes() {
        var w = BitWriter()
        w.write(1, count: 1)
        w.append(contentsOf: [0xaa, 0xbb])
        w.write(0b11, count: 2)
        #expect(w.finish() == [0x01, 0xaa, 0xbb, 0x03])
    }

    // MARK: Gamma and counts

    @Test func gammaMatchesTheSpec() throws {
        // 1 → 1, 2 → 010, 3 → 011, 4 → 00100, in stream order; the low
        // w - 1 bits go low bit first like every value: 5 → 00110, 6 → 00101.
        let cases: [(UInt64, [UInt64])] = [
            (1, [1]), (2, [0, 1, 0]), (3, [0, 1, 1]), (4, [0, 0, 1, 0, 0]), (5, [0, 0, 1, 1, 0]), (6, [0, 0, 1, 0, 1]),
        ]
        for (value, bits) in cases {
            var w = BitWriter()
            var v = value
            try w.gamma(&v)
            var expected = BitWriter()
            for b in bits { expected.write(b, count: 1) }
            #expect(w.bitCount == bits.count)
            #expect(w.finish() == expected.finish(), "gamma(\(value))")
        }
    }

    @Test func gammaEdgeValuesRoundTrip() throws {
        var values: [UInt64] = [1, 2, 3, .max, 1 << 63, (1 << 63) - 1, (1 << 63) + 1]
        for k in 1..<64 { values += [UInt64(1) << UInt64(k), (UInt64(1) << UInt64(k)) - 1, (UInt64(1) << UInt64(k)) + 1] }
        for value in values {
            var counter = BitCounter()
            var v = value
            try counter.gamma(&v)
            #expect(counter.bitCount == 2 * (63 - value.leadingZeroBitCount) + 1)
            var w = BitWriter()
            try w.gamma(&v)
            w.write(1, count: 1)   // a marker: the reader must stop exactly at the code's end
            var r = BitReader(w.finish())
            var back: UInt64 = 0
            try r.gamma(&back)
            #expect(back == value)
            #expect(try r.read(count: 1) == 1)
        }
    }

    @Test func gammaRefusesMoreThan63Zeros() throws {
        // 63 zeros, a one, 63 bits: UInt64.max, the longest code.
        var w = BitWriter()
        w.write(0, count: 63)
        w.write(1, count: 1)
        w.write((1 << 63) - 1, count: 63)
        var r = BitReader(w.finish())
        var v: UInt64 = 0
        try r.gamma(&v)
        #expect(v == .max)

        var long = BitWriter()
        long.write(0, count: 64)
        long.write(1, count: 1)
        long.write(0, count: 64)
        var r2 = BitReader(long.finish())
        expectRefused(.outOfRange) { () throws(ProtocolError) in try r2.gamma(&v) }

        var zeros = BitReader([UInt8](repeating: 0, count: 4))
        expectRefused(.truncated) { () throws(ProtocolError) in try zeros.gamma(&v) }
    }

    @Test func countsAreGammaOfValuePlusOne() throws {
        for n in [0, 1, 2, 3, 4096, 65_535] {
            var w = BitWriter()
            var v = n
            try w.count(&v, limit: 65_535)
            var expected = BitWriter()
            var g = UInt64(n + 1)
            try expected.gamma(&g)
            #expect(w.finish() == expected.finish())
        }
        var w = BitWriter()
        var big = 4097
        try w.count(&big, limit: .max)
        var r = BitReader(w.finish())
        var back = 0
        expectRefused(.outOfRange) { () throws(ProtocolError) in try r.count(&back, limit: 4096) }
    }

    // MARK: Varints

    @Test func varintEdgeValues() throws {
        let cases: [(UInt64, [UInt8])] = [
            (0, [0x00]), (1, [0x01]), (127, [0x7f]), (128, [0x80, 0x01]), (300, [0xac, 0x02]),
            (16_383, [0xff, 0x7f]), (16_384, [0x80, 0x80, 0x01]),
            (1 << 63, [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]),
            (.max, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
        ]
        for (value, bytes) in cases {
            var v = value
            #expect(write { w throws(ProtocolError) in try w.varint(&v) } == bytes, "varint \(value)")
            var r = BitReader(bytes)
            var back: UInt64 = 0
            try r.varint(&back)
            #expect(back == value)
            try r.expectEnd()
        }
    }

    @Test func overlongVarintsAreRefused() {
        let refused: [[UInt8]] = [
            // 65 bits: the tenth byte may only hold bit 63.
            [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02],
            [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f],
            // 11 bytes, even when the extra groups are zero.
            [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00],
            [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x81, 0x00],
            [UInt8](repeating: 0x80, count: 40) + [0x00],
        ]
        for bytes in refused {
            var r = BitReader(bytes)
            var v: UInt64 = 0
            expectRefused(.outOfRange) { () throws(ProtocolError) in try r.varint(&v) }
        }
        var cut = BitReader([0x80, 0x80])
        var v: UInt64 = 0
        expectRefused(.truncated) { () throws(ProtocolError) in try cut.varint(&v) }
    }

    @Test func varintLimits() throws {
        var r = BitReader([0x81, 0x02])   // 257
        var n = 0
        expectRefused(.outOfRange) { () throws(ProtocolError) in try r.varint(&n, limit: 256) }
        var ok = BitReader([0x80, 0x02])  // 256
        try ok.varint(&n, limit: 256)
        #expect(n == 256)
        var huge = BitReader([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])
        expectRefused(.outOfRange) { () throws(ProtocolError) in try huge.varint(&n, limit: .max) }
    }

    // MARK: Integers, doubles, strings

    @Test func integersUseTheFewestBits() throws {
        for (range, bits) in [(0...0, 0), (0...1, 1), (-1...1, 2), (5...12, 3), (0...255, 8), (-128...127, 8)] as [(ClosedRange<Int64>, Int)] {
            var c = BitCounter()
            var v = range.upperBound
            try c.integer(&v, in: range)
            #expect(c.bitCount == bits, "\(range)")
            for value in [range.lowerBound, range.upperBound] {
                var w = BitWriter()
                var x = value
                try w.integer(&x, in: range)
                var r = BitReader(w.finish())
                var back: Int64 = 0
                try r.integer(&back, in: range)
                #expect(back == value)
            }
        }
        var full = BitWriter()
        var extreme = Int64.min
        try full.integer(&extreme, in: Int64.min...Int64.max)
        var r = BitReader(full.finish())
        var back: Int64 = 0
        try r.integer(&back, in: Int64.min...Int64.max)
        #expect(back == .min)
    }

    @Test func integersAboveTheRangeAreRefused() {
        var r = BitReader([0b0000_0101])   // 5 in 3 bits, for 0...4
        var v: Int64 = 0
        expectRefused(.outOfRange) { () throws(ProtocolError) in try r.integer(&v, in: 0...4) }
    }

    @Test func doublesKeepTheirBits() throws {
        for d in [0.0, -0.0, 1.5, -1e308, .infinity, -.infinity, .nan, .leastNonzeroMagnitude, .greatestFiniteMagnitude] {
            var v = d
            var r = BitReader(write { w throws(ProtocolError) in try w.double(&v) })
            var back = 0.0
            try r.double(&back)
            #expect(back.bitPattern == d.bitPattern)
        }
        var one = 1.0
        #expect(write { w throws(ProtocolError) in try w.double(&one) } == [0, 0, 0, 0, 0, 0, 0xf0, 0x3f])
    }

    @Test func stringsRoundTripAndRefuseBadUTF8() throws {
        for s in ["", "a", "héllo", "😀字", String(repeating: "x", count: 64)] {
            var v = s
            var r = BitReader(write { w throws(ProtocolError) in try w.string(&v, maxBytes: 64) })
            var back = ""
            try r.string(&back, maxBytes: 64)
            #expect(back == s)
            try r.expectEnd()
        }
        for bad: [UInt8] in [[0xff], [0xc3], [0xe2, 0x82], [0xc0, 0x80], [0xed, 0xa0, 0x80]] {
            var raw = RawBytes()
            raw.raw(bad)
            var r = BitReader(raw.bytes)
            var s = ""
            expectRefused(.outOfRange) { () throws(ProtocolError) in try r.string(&s, maxBytes: 64) }
        }
        var long = RawBytes()
        long.string(String(repeating: "x", count: 65))
        var r = BitReader(long.bytes)
        var s = ""
        expectRefused(.outOfRange) { () throws(ProtocolError) in try r.string(&s, maxBytes: 64) }
    }

    /// A claimed length far beyond the message fails before anything is
    /// allocated for it: above the bound it is out of range, below the bound
    /// but past the end it is truncated.
    @Test func hugeClaimedLengthsFailFast() {
        var huge = RawBytes()
        huge.varint(1 << 60)
        var r = BitReader(huge.bytes + [0x41])
        var s = ""
        expectRefused(.outOfRange) { () throws(ProtocolError) in try r.string(&s, maxBytes: 4096) }

        var past = RawBytes()
        past.varint(4096)
        var r2 = BitReader(past.bytes + [0x41, 0x42])
        expectRefused(.truncated) { () throws(ProtocolError) in try r2.string(&s, maxBytes: 4096) }

        // Field bytes: an int(0...4096) length of 4096 with 2 bytes left.
        var w = BitWriter()
        w.write(4096, count: 13)
        w.write(0x4142, count: 16)
        var r3 = BitReader(w.finish())
        var bytes: [UInt8] = []
        expectRefused(.truncated) { () throws(ProtocolError) in try r3.bytes(&bytes, maxBytes: 4096) }
    }
}
