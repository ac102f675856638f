import Testing
@testable import Protocol
import ProtocolTestSupport

/// What every decoder must survive (after NIO's ByteToMessageDecoderVerifier):
/// a message arriving one byte at a time, garbage, and damaged messages. A
/// crash or hang fails the run; a decoder may only return or throw.
enum DecoderChecks {
    /// Feeds `message` one byte at a time: every proper prefix must throw
    /// `.truncated`, and the whole message must decode to `expected`.
    static func byteAtATime<T: Equatable>(_ message: [UInt8], expected: T,
                                          _ decode: ([UInt8]) throws(ProtocolError) -> T,
                                          sourceLocation: SourceLocation = #_sourceLocation) {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(message.count)
        for byte in message {
            do {
                let early = try decode(buffer)
                Issue.record("a prefix of \(buffer.count) of \(message.count) bytes decoded as \(early)", sourceLocation: sourceLocation)
                return
            } catch {
                guard error.code == .truncated else {
                    Issue.record("a prefix of \(buffer.count) of \(message.count) bytes threw \(error.code) (\(error)), not truncated",
                                 sourceLocation: sourceLocation)
                    return
                }
            }
            buffer.append(byte)
        }
        do {
            let whole = try decode(buffer)
            #expect(whole == expected, sourceLocation: sourceLocation)
        } catch {
            Issue.record("the whole message threw \(error)", sourceLocation: sourceLocation)
        }
    }

    /// Decodes `count` random byte strings. Most start with `prefix` (the
    /// message's type byte, say) so they get past the first check. Whatever
    /// decodes must survive encode → decode unchanged.
    @discardableResult
    static func garbage<T: Equatable>(seed: UInt64, count: Int = 10_000, prefix: [UInt8],
                                      _ decode: ([UInt8]) throws(ProtocolError) -> T,
                                      reencode: (T) -> [UInt8],
                                      sourceLocation: SourceLocation = #_sourceLocation) -> Int {
        var rng = SplitMix64(seed: seed)
        var decoded = 0
        for _ in 0..<count {
            let length = rng.chance(0.9) ? rng.int(0...40) : rng.int(0...600)
            var bytes = rng.bytes(length)
            if rng.chance(0.75) {
                bytes = Array(prefix.prefix(rng.int(0...prefix.count))) + bytes
            }
            if check(bytes, decode, reencode, sourceLocation) { decoded += 1 }
        }
        return decoded
    }

    /// Decodes `count` damaged copies of valid messages: bits flipped, bytes
    /// cut, inserted or repeated.
    @discardableResult
    static func damaged<T: Equatable>(seed: UInt64, count: Int = 10_000, messages: [[UInt8]],
                                      _ decode: ([UInt8]) throws(ProtocolError) -> T,
                                      reencode: (T) -> [UInt8],
                                      sourceLocation: SourceLocation = #_sourceLocation) -> Int {
        var rng = SplitMix64(seed: seed)
        var decoded = 0
        for _ in 0..<count {
            var bytes = rng.pick(messages)
            for _ in 0..<rng.int(1...3) {
                guard !bytes.isEmpty else { break }
                let at = rng.int(0...bytes.count - 1)
                switch rng.int(0...5) {
                case 0: bytes.remove(at: at)
                case 1: bytes.insert(UInt8.random(in: 0...255, using: &rng), at: at)
                case 2: bytes.removeLast(rng.int(1...bytes.count))
                case 3: bytes.append(contentsOf: rng.bytes(rng.int(1...4)))
                default: bytes[at] ^= 1 << UInt8(rng.int(0...7))
                }
            }
            if check(bytes, decode, reencode, sourceLocation) { decoded += 1 }
        }
        return decoded
    }

    private static func check<T: Equatable>(_ bytes: [UInt8], _ decode: ([UInt8]) throws(ProtocolError) -> T,
                                            _ reencode: (T) -> [UInt8], _ sourceLocation: SourceLocation) -> Bool {
        let value: T
        do { value = try decode(bytes) } catch { return false }
        do {
            let again = try decode(reencode(value))
            #expect(again == value, "\(bytes) decoded, but its re-encoding decodes differently", sourceLocation: sourceLocation)
        } catch {
            Issue.record("\(bytes) decoded, but its re-encoding does not: \(error)", sourceLocation: sourceLocation)
        }
        return true
    }
}

/// Little byte builder for hand-made messages, independent of `BitWriter`.
struct RawBytes {
    var bytes: [UInt8] = []

    init(_ bytes: [UInt8] = []) { self.bytes = bytes }

    mutating func u8(_ v: UInt8) { bytes.append(v) }

    mutating func varint(_ v: UInt64) {
        var v = v
        repeat {
            var b = UInt8(v & 0x7f)
            v >>= 7
            if v != 0 { b |= 0x80 }
            bytes.append(b)
        } while v != 0
    }

    mutating func string(_ s: String) { raw(Array(s.utf8)) }

    mutating func raw(_ b: [UInt8]) {
        varint(UInt64(b.count))
        bytes += b
    }

    mutating func f64(_ d: Double) {
        var bits = d.bitPattern
        for _ in 0..<8 {
            bytes.append(UInt8(bits & 0xff))
            bits >>= 8
        }
    }
}

/// Expects `body` to throw a `ProtocolError` with `code`.
func expectRefused<T>(_ code: ProtocolError.Code, _ body: () throws(ProtocolError) -> T,
                      sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        let value = try body()
        Issue.record("expected \(code), decoded \(value)", sourceLocation: sourceLocation)
    } catch {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
    }
}
