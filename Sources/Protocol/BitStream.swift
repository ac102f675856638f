/// A stream every serializer is written against once: the same code writes
/// (`BitWriter`), reads and validates (`BitReader`), or measures
/// (`BitCounter`) a message.
///
/// Values go in the low bits of a `UInt64`. Reads check every range and
/// throw `ProtocolError`; writes of out-of-range values are programming
/// errors and trap.
public protocol BitStream {
    var isReading: Bool { get }
    /// Writes or reads `count` (0...64) bits of `value`.
    mutating func bits(_ value: inout UInt64, count: Int) throws(ProtocolError)
    /// Skips to the next byte boundary (writing zero bits, reading and
    /// checking them).
    mutating func align() throws(ProtocolError)
    /// Bits left to read (`Int.max` when writing).
    var remainingBits: Int { get }
    /// An Exp-Golomb code of order `order`: `gamma((value >> order) + 1)`,
    /// then the low `order` bits of `value`; `value` below 2^63. A writer may
    /// put it in one write.
    mutating func expGolomb(_ value: inout UInt64, order: Int) throws(ProtocolError)
}

extension BitStream {
    @inline(__always)
    public mutating func bool(_ value: inout Bool) throws(ProtocolError) {
        var v: UInt64 = value ? 1 : 0
        try bits(&v, count: 1)
        value = v != 0
    }

    /// An integer in `range`, in exactly as many bits as the range needs.
    @inline(__always)
    public mutating func integer(_ value: inout Int64, in range: ClosedRange<Int64>) throws(ProtocolError) {
        let span = UInt64(bitPattern: range.upperBound &- range.lowerBound)
        let count = span == 0 ? 0 : 64 - span.leadingZeroBitCount
        var v = UInt64(bitPattern: value &- range.lowerBound)
        if !isReading { precondition(range.contains(value), "\(value) is outside \(range)") }
        try bits(&v, count: count)
        if isReading {
            guard v <= span else { throw ProtocolError(.outOfRange, "value \(v) is above the range \(range)") }
            value = range.lowerBound &+ Int64(bitPattern: v)
        }
    }

    @inline(__always)
    public mutating func integer(_ value: inout Int, in range: ClosedRange<Int>) throws(ProtocolError) {
        var v = Int64(value)
        try integer(&v, in: Int64(range.lowerBound)...Int64(range.upperBound))
        value = Int(v)
    }

    /// Elias gamma code of `value` ≥ 1: 2⌊log₂ v⌋ + 1 bits, so small values
    /// (id gaps, counts) cost 1, 3 or 5 bits. At most 64 significant bits.
    public mutating func gamma(_ value: inout UInt64) throws(ProtocolError) {
        if isReading {
            var zeros = 0
            var bit: UInt64 = 0
            while true {
                try bits(&bit, count: 1)
                if bit == 1 { break }
                zeros += 1
                guard zeros < 64 else { throw ProtocolError(.outOfRange, "gamma code longer than 64 bits") }
            }
            var rest: UInt64 = 0
            try bits(&rest, count: zeros)
            value = (1 << UInt64(zeros)) | rest
        } else {
            precondition(value >= 1, "gamma codes values from 1")
            let width = 64 - value.leadingZeroBitCount
            var zeros: UInt64 = 0
            try bits(&zeros, count: width - 1)
            var one: UInt64 = 1
            try bits(&one, count: 1)
            var rest = value & ((1 << UInt64(width - 1)) &- 1)
            try bits(&rest, count: width - 1)
        }
    }

    public mutating func expGolomb(_ value: inout UInt64, order: Int) throws(ProtocolError) {
        var high = (value >> UInt64(order)) + 1
        var low = value & ((1 << UInt64(order)) &- 1)
        try gamma(&high)
        try bits(&low, count: order)
        if isReading {
            guard high - 1 <= UInt64(Int64.max) >> UInt64(order + 1) else {
                throw ProtocolError(.outOfRange, "an Exp-Golomb code of order \(order) above 2^63")
            }
            value = ((high - 1) << UInt64(order)) | low
        }
    }

    /// A count or gap from 0 (gamma of value + 1), at most `limit`.
    public mutating func count(_ value: inout Int, limit: Int) throws(ProtocolError) {
        var v = UInt64(value) + 1
        try gamma(&v)
        if isReading {
            guard v - 1 <= UInt64(limit) else { throw ProtocolError(.outOfRange, "count \(v - 1) is above the limit \(limit)") }
            value = Int(v - 1)
        }
    }

    /// LEB128: 7 bits a byte, low groups first, at most 10 bytes.
    public mutating func varint(_ value: inout UInt64) throws(ProtocolError) {
        if isReading {
            var result: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                var byte: UInt64 = 0
                try bits(&byte, count: 8)
                guard shift < 64, shift < 63 || byte <= 1 else { throw ProtocolError(.outOfRange, "varint longer than 64 bits") }
                result |= (byte & 0x7f) << shift
                if byte & 0x80 == 0 { break }
                shift += 7
            }
            value = result
        } else {
            var v = value
            repeat {
                var byte = v & 0x7f
                v >>= 7
                if v != 0 { byte |= 0x80 }
                try bits(&byte, count: 8)
            } while v != 0
        }
    }

    /// A varint read as an `Int` no larger than `limit`.
    public mutating func varint(_ value: inout Int, limit: Int) throws(ProtocolError) {
        var v = UInt64(value)
        try varint(&v)
        if isReading {
            guard v <= UInt64(limit) else { throw ProtocolError(.outOfRange, "\(v) is above the limit \(limit)") }
            value = Int(v)
        }
    }

    /// IEEE double, little-endian.
    public mutating func double(_ value: inout Double) throws(ProtocolError) {
        var v = value.bitPattern
        try bits(&v, count: 64)
        value = Double(bitPattern: v)
    }

    /// Bytes with a length prefix of `lengthBits` bits (the schema knows the
    /// maximum); reading refuses a length above `maxBytes` or above what is
    /// left, before allocating anything.
    public mutating func bytes(_ value: inout [UInt8], maxBytes: Int) throws(ProtocolError) {
        var length = value.count
        try integer(&length, in: 0...maxBytes)
        if isReading {
            guard length * 8 <= remainingBits else { throw ProtocolError(.truncated, "string of \(length) bytes runs past the message") }
            value = []
            value.reserveCapacity(length)
            for _ in 0..<length {
                var b: UInt64 = 0
                try bits(&b, count: 8)
                value.append(UInt8(b))
            }
        } else {
            precondition(length <= maxBytes)
            for b in value {
                var v = UInt64(b)
                try bits(&v, count: 8)
            }
        }
    }

    /// A UTF-8 string with a varint length, at most `maxBytes`; invalid
    /// UTF-8 is refused.
    public mutating func string(_ value: inout String, maxBytes: Int) throws(ProtocolError) {
        var raw = Array(value.utf8)
        var length = raw.count
        try varint(&length, limit: maxBytes)
        if isReading {
            guard length * 8 <= remainingBits else { throw ProtocolError(.truncated, "string of \(length) bytes runs past the message") }
            raw = []
            raw.reserveCapacity(length)
            for _ in 0..<length {
                var b: UInt64 = 0
                try bits(&b, count: 8)
                raw.append(UInt8(b))
            }
            guard let decoded = String(validating: raw, as: UTF8.self) else {
                throw ProtocolError(.outOfRange, "string is not valid UTF-8")
            }
            value = decoded
        } else {
            precondition(length <= maxBytes, "string of \(length) bytes is above \(maxBytes)")
            for b in raw {
                var v = UInt64(b)
                try bits(&v, count: 8)
            }
        }
    }
}
