import NIOCore
import Protocol

/// An input's fields, bit-packed once, to send again and again under new
/// sequence numbers.
///
///     input = u8 0x81 | varint sequence | fields (bit-packed) | align
///
/// The type byte and the varint are whole bytes, so the fields always start
/// on a byte boundary and their bytes do not depend on the sequence: a load
/// generator packs a few inputs once and then writes only the type byte, the
/// varint and these bytes per message, with no encoder run per send.
public struct PackedInput: Sendable, Equatable {
    /// The fields' bytes, after the sequence.
    public let fields: [UInt8]

    /// Packs `values` (one stored value per input field, in schema order;
    /// out-of-range values trap, as in `InputMessage.encode`).
    public init(values: [Int64], schema: GameSchema) {
        let whole = InputMessage(sequence: 1, values: values).encode(schema: schema)
        fields = Array(whole.dropFirst(2))   // 0x81, then sequence 1 in one byte
    }

    /// The whole `input` message with `sequence`, written into `buffer`.
    public func write(sequence: UInt64, into buffer: inout ByteBuffer) {
        buffer.writeInteger(MessageType.input.rawValue)
        var v = sequence
        repeat {
            var byte = UInt8(v & 0x7f)
            v >>= 7
            if v != 0 { byte |= 0x80 }
            buffer.writeInteger(byte)
        } while v != 0
        buffer.writeBytes(fields)
    }

    /// Random valid values for every input field of `schema`: integers,
    /// fixed, angles and quaternions anywhere in range, vectors on the axes'
    /// steps, entity references 0 (none).
    public static func randomValues(for schema: GameSchema, using rng: inout some RandomNumberGenerator) -> [Int64] {
        schema.input.map { $0.randomStoredValue(using: &rng) }
    }
}

extension TickwireLink {
    /// Sends `input` with the next sequence number; returns it (0 before the welcome).
    @discardableResult
    public func send(_ input: PackedInput) -> UInt64 {
        guard welcome != nil else { return 0 }
        return sendPacked(input)
    }
}
