// What a client sends (docs/protocol.md, "input", "client event", "ack").
// Field values are the stored integers of the schema's types (see
// `Quantizer`), each written in full by `FieldCoding`:
//
//     input         u8 0x81 | varint sequence (1, 2, …) | every input field, full | align
//     client event  u8 0x82 | int(0...events-1) event | every field of the event, full | align
//     ack           u8 0x83 | varint last tick applied | align

/// One tick's controls of a player. The server queues a few and applies one
/// per tick; `sequence` comes back in snapshots so a client knows which of
/// its inputs the state includes.
public struct InputMessage: Sendable, Equatable {
    /// 1, 2, … per connection.
    public var sequence: UInt64
    /// One stored value per field of `GameSchema.input`, in schema order.
    public var values: [Int64]

    public init(sequence: UInt64, values: [Int64]) {
        self.sequence = sequence
        self.values = values
    }

    public mutating func serialize<S: BitStream>(_ stream: inout S, schema: GameSchema) throws(ProtocolError) {
        try MessageType.input.serialize(&stream)
        try stream.varint(&sequence)
        guard sequence >= 1 else { throw ProtocolError(.outOfRange, "input sequences start at 1") }
        var strings = StringTable()   // inputs are never strings: stays empty
        try FieldValues.serialize(&values, strings: &strings, fields: schema.input, of: "input", &stream)
        try stream.align()
    }

    public func encode(schema: GameSchema) -> [UInt8] {
        var copy = self
        return encodeMessage("input") { (w: inout BitWriter) throws(ProtocolError) in try copy.serialize(&w, schema: schema) }
    }

    /// The message, or why `values` do not fit `schema`'s input.
    public func encoded(schema: GameSchema) throws(ProtocolError) -> [UInt8] {
        var copy = self
        var writer = BitWriter(capacity: 32)
        try copy.serialize(&writer, schema: schema)
        return writer.finish()
    }
}

/// A one-shot message from a player to the game (say, chat), declared in
/// the schema's `clientEvents`.
public struct ClientEventMessage: Sendable, Equatable {
    /// Index into `GameSchema.clientEvents` (0-based).
    public var event: Int
    /// One stored value per field of the event, in schema order; a string
    /// field's value is its index in `strings`.
    public var values: [Int64]
    /// The event's strings; a decoded message holds one per string field, in
    /// field order.
    public var strings: StringTable

    public init(event: Int, values: [Int64], strings: StringTable = StringTable()) {
        self.event = event
        self.values = values
        self.strings = strings
    }

    public mutating func serialize<S: BitStream>(_ stream: inout S, schema: GameSchema) throws(ProtocolError) {
        try MessageType.clientEvent.serialize(&stream)
        let events = schema.clientEvents
        guard !events.isEmpty else { throw ProtocolError(.outOfRange, "this game declares no client events") }
        try stream.integer(&event, in: 0...events.count - 1)
        if stream.isReading { strings = StringTable() }
        try FieldValues.serialize(&values, strings: &strings, fields: events[event].fields, of: events[event].name, &stream)
        try stream.align()
    }

    public func encode(schema: GameSchema) -> [UInt8] {
        var copy = self
        return encodeMessage("client event") { (w: inout BitWriter) throws(ProtocolError) in try copy.serialize(&w, schema: schema) }
    }

    /// The message, or why it does not fit `schema`'s client events.
    public func encoded(schema: GameSchema) throws(ProtocolError) -> [UInt8] {
        var copy = self
        var writer = BitWriter(capacity: 32)
        try copy.serialize(&writer, schema: schema)
        return writer.finish()
    }
}

/// The last tick a client applied; optional, for latency figures only.
public struct AckMessage: Sendable, Equatable {
    public var tick: Int

    public init(tick: Int) { self.tick = tick }

    public mutating func serialize<S: BitStream>(_ stream: inout S) throws(ProtocolError) {
        try MessageType.ack.serialize(&stream)
        try stream.varint(&tick, limit: Int.max)
        try stream.align()
    }

    public func encode() -> [UInt8] {
        precondition(tick >= 0, "tick \(tick) is negative")
        var copy = self
        return encodeMessage("ack") { (w: inout BitWriter) throws(ProtocolError) in try copy.serialize(&w) }
    }
}

/// Anything a client may send; the server decodes every binary frame with
/// `decode` and closes the connection on a `ProtocolError`.
public enum ClientMessage: Sendable, Equatable {
    case input(InputMessage)
    case clientEvent(ClientEventMessage)
    case ack(AckMessage)

    public static func decode(_ bytes: [UInt8], schema: GameSchema) throws(ProtocolError) -> ClientMessage {
        try MessageType.checkSize(bytes)
        let type = try MessageType(of: bytes)
        var reader = BitReader(bytes)
        let message: ClientMessage
        switch type {
        case .input:
            var input = InputMessage(sequence: 0, values: [])
            try input.serialize(&reader, schema: schema)
            message = .input(input)
        case .clientEvent:
            var event = ClientEventMessage(event: 0, values: [])
            try event.serialize(&reader, schema: schema)
            message = .clientEvent(event)
        case .ack:
            var ack = AckMessage(tick: 0)
            try ack.serialize(&reader)
            message = .ack(ack)
        case .welcome, .snapshot, .error:
            throw ProtocolError(.unknown, "a client cannot send a \(type) message")
        }
        try reader.expectEnd()
        return message
    }

    public func encode(schema: GameSchema) -> [UInt8] {
        switch self {
        case .input(let m): m.encode(schema: schema)
        case .clientEvent(let m): m.encode(schema: schema)
        case .ack(let m): m.encode()
        }
    }
}

/// Writes one message; a value the spec forbids is a programming error.
private func encodeMessage(_ what: String, _ body: (inout BitWriter) throws(ProtocolError) -> Void) -> [UInt8] {
    var writer = BitWriter(capacity: 32)
    do { try body(&writer) } catch { preconditionFailure("\(what) cannot be sent: \(error)") }
    return writer.finish()
}

/// "Every field, full": the values of one field list in schema order.
enum FieldValues {
    /// Reading replaces `values` and appends each string to `strings` (its
    /// value is the index there), refusing invalid UTF-8. Writing checks
    /// every value is in its type's range.
    static func serialize<S: BitStream>(_ values: inout [Int64], strings: inout StringTable, fields: [Field],
                                        of owner: String, _ stream: inout S) throws(ProtocolError) {
        if stream.isReading {
            values = []
            values.reserveCapacity(fields.count)   // the schema's count, at most 64
        } else {
            precondition(values.count == fields.count, "\(owner) has \(fields.count) fields, got \(values.count) values")
        }
        for (i, field) in fields.enumerated() {
            let coding = FieldCoding(field.type)
            var q: Int64 = stream.isReading ? 0 : values[i]
            var bytes: [UInt8] = []
            if !stream.isReading {
                if coding.isString {
                    precondition(strings.indices.contains(Int(q)), "\(owner).\(field.name): no string \(q) in the table")
                    bytes = strings[Int(q)]
                } else {
                    precondition(coding.quantizer.isValid(q),
                                 "\(owner).\(field.name): \(q) is outside \(field.type)'s range")
                }
            }
            try coding.full(&q, bytes: &bytes, &stream)
            if stream.isReading {
                if coding.isString {
                    guard String(validating: bytes, as: UTF8.self) != nil else {
                        throw ProtocolError(.outOfRange, "\(owner).\(field.name) is not valid UTF-8")
                    }
                    q = Int64(strings.append(bytes))
                }
                values.append(q)
            }
        }
    }
}
