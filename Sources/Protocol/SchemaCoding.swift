/// A game's schema on the wire (docs/protocol.md, "Schemas"), written once
/// for a stream that writes, reads or measures:
///
///     schema     = field-set                                   the match
///                  varint kinds (≤ 255),  kinds × (name, field-set)
///                  field-set                                   the input (no strings)
///                  varint events (≤ 255), events × (name, field-set)
///                  varint client events (≤ 255), client events × (name, field-set)
///     field-set  = varint n (≤ 64), n × (name, u8 type, parameters)
///     name       = string, an identifier of 1...64 bytes
///
///     type  0 bool        1 integer  u8 bits (8/16/32), u8 signed (0/1)
///           2 f32         3 fixed    f64 min, f64 max, f64 step
///           4 angle  u8 bits (2...16)           5 string  varint max (1...4096)
///           6 entity varint kind index + 1 (0: any kind)
///           7 vec3   3 × (f64 min, f64 max, f64 step)     8 quat  u8 bits (6...20)
///
/// Names are strictly increasing by bytes within each list (fields of a set,
/// kinds, events, client events), so a reader refuses duplicates too.
extension GameSchema {
    /// Writes, reads or measures this schema. Reading checks every name,
    /// count and parameter against the spec and throws before allocating
    /// from a claimed count; writing runs the same checks, and a schema that
    /// fails them is a programming error for the caller (encoders trap).
    public mutating func serialize<S: BitStream>(_ stream: inout S) throws(ProtocolError) {
        var wire = stream.isReading ? WireSchema() : WireSchema(self)
        try wire.serialize(&stream)
        if stream.isReading { self = try wire.schema() }
    }

    /// The schema alone, byte-aligned (a `welcome` carries it after its header).
    public func encode() -> [UInt8] {
        var copy = self
        var writer = BitWriter(capacity: 256)
        do { try copy.serialize(&writer) } catch { preconditionFailure("schema cannot be sent: \(error)") }
        return writer.finish()
    }

    /// Reads a schema written by `encode()`; trailing bytes are an error.
    public static func decode(_ bytes: [UInt8]) throws(ProtocolError) -> GameSchema {
        try MessageType.checkSize(bytes)
        var reader = BitReader(bytes)
        var schema = GameSchema.placeholder
        try schema.serialize(&reader)
        try reader.expectEnd()
        return schema
    }

    /// The schema with nothing in it: what a reader fills in.
    static var placeholder: GameSchema {
        GameSchema(match: FieldSet(name: "match", index: 0, fields: []), kinds: [], input: [], events: [])
    }
}

/// The schema in wire order, with entity kinds as numbers (index + 1, 0 for
/// any kind): the match's fields come before the kinds, so a reader names
/// the kind an entity field refers to only once every kind is read.
private struct WireSchema {
    struct FieldList {
        var name = ""
        var fields: [Field] = []
        /// Per field: kind index + 1 of an entity reference, otherwise 0.
        var kindNumbers: [Int] = []
    }

    var match = FieldList()
    var kinds: [FieldList] = []
    var input = FieldList()
    var events: [FieldList] = []
    var clientEvents: [FieldList] = []

    static let maxNameBytes = 64
    static let maxClientEvents = 255
    /// Fewest bits a field (name length, type byte) or a named set (name
    /// length, field count) takes on the wire: a claimed count is checked
    /// against the bits left before anything is read for it.
    static let minimumItemBits = 16

    init() {}

    init(_ schema: GameSchema) {
        var numbers: [String: Int] = [:]
        for (i, kind) in schema.kinds.enumerated() { numbers[kind.name] = i + 1 }
        func list(_ name: String, _ fields: [Field]) -> FieldList {
            FieldList(name: name, fields: fields, kindNumbers: fields.map { field in
                guard case .entity(let kind?) = field.type else { return 0 }
                guard let n = numbers[kind] else { preconditionFailure("field \(field.name) refers to undeclared kind \(kind)") }
                return n
            })
        }
        match = list("match", schema.match.fields)
        kinds = schema.kinds.map { list($0.name, $0.fields) }
        input = list("input", schema.input)
        events = schema.events.map { list($0.name, $0.fields) }
        clientEvents = schema.clientEvents.map { list($0.name, $0.fields) }
    }

    mutating func serialize<S: BitStream>(_ stream: inout S) throws(ProtocolError) {
        try Self.fields(&match, of: "match", &stream)
        try Self.sets(&kinds, limit: GameSchema.maxKinds, what: "entity kind", &stream)
        try Self.fields(&input, of: "input", &stream)
        if let text = input.fields.first(where: { if case .string = $0.type { true } else { false } }) {
            throw ProtocolError(.outOfRange, "input field \(text.name) is a string; inputs are never strings")
        }
        try Self.sets(&events, limit: GameSchema.maxEvents, what: "event", &stream)
        try Self.sets(&clientEvents, limit: Self.maxClientEvents, what: "client event", &stream)
    }

    /// The schema a reader got, with entity kinds named.
    func schema() throws(ProtocolError) -> GameSchema {
        func named(_ list: FieldList) throws(ProtocolError) -> [Field] {
            var fields = list.fields
            for (i, n) in list.kindNumbers.enumerated() where n > 0 {
                guard n <= kinds.count else {
                    throw ProtocolError(.outOfRange, "\(list.name).\(fields[i].name) refers to entity kind \(n - 1), but there are \(kinds.count)")
                }
                fields[i] = Field(name: fields[i].name, type: .entity(kind: kinds[n - 1].name))
            }
            return fields
        }
        func sets(_ lists: [FieldList]) throws(ProtocolError) -> [FieldSet] {
            var result: [FieldSet] = []
            for (i, list) in lists.enumerated() {
                result.append(FieldSet(name: list.name, index: i + 1, fields: try named(list)))
            }
            return result
        }
        return GameSchema(match: FieldSet(name: "match", index: 0, fields: try named(match)),
                          kinds: try sets(kinds), input: try named(input), events: try sets(events),
                          clientEvents: try sets(clientEvents))
    }

    /// `varint count, count × (name, field-set)`, names strictly increasing.
    static func sets<S: BitStream>(_ lists: inout [FieldList], limit: Int, what: String, _ stream: inout S) throws(ProtocolError) {
        var count = lists.count
        try stream.varint(&count, limit: limit)
        if stream.isReading {
            guard count * minimumItemBits <= stream.remainingBits else {
                throw ProtocolError(.truncated, "\(count) \(what)s cannot fit in what is left of the message")
            }
            lists = []
        }
        var previous: String?
        for i in 0..<count {
            var list = stream.isReading ? FieldList() : lists[i]
            try name(&list.name, after: previous, what: what, &stream)
            try fields(&list, of: list.name, &stream)
            if stream.isReading { lists.append(list) }
            previous = list.name
        }
    }

    /// `varint n, n × (name, u8 type, parameters)`, names strictly increasing.
    static func fields<S: BitStream>(_ list: inout FieldList, of owner: String, _ stream: inout S) throws(ProtocolError) {
        var count = list.fields.count
        try stream.varint(&count, limit: GameSchema.maxFieldsPerSet)
        if stream.isReading {
            guard count * minimumItemBits <= stream.remainingBits else {
                throw ProtocolError(.truncated, "\(count) fields of \(owner) cannot fit in what is left of the message")
            }
            list.fields = []
            list.kindNumbers = []
        }
        var previous: String?
        for i in 0..<count {
            var name = stream.isReading ? "" : list.fields[i].name
            var type = stream.isReading ? FieldType.bool : list.fields[i].type
            var kindNumber = stream.isReading ? 0 : list.kindNumbers[i]
            try Self.name(&name, after: previous, what: "\(owner) field", &stream)
            try fieldType(&type, kindNumber: &kindNumber, &stream)
            if stream.isReading {
                list.fields.append(Field(name: name, type: type))
                list.kindNumbers.append(kindNumber)
            }
            previous = name
        }
    }

    /// An identifier of 1...64 bytes, after `previous` in byte order.
    static func name<S: BitStream>(_ name: inout String, after previous: String?, what: String, _ stream: inout S) throws(ProtocolError) {
        try stream.string(&name, maxBytes: maxNameBytes)
        guard isIdentifier(name) else {
            throw ProtocolError(.outOfRange, "\(String(reflecting: name)) is not a valid \(what) name (letters, digits and _, not starting with a digit)")
        }
        if let previous, !previous.utf8.lexicographicallyPrecedes(name.utf8) {
            throw ProtocolError(.outOfRange, previous == name
                ? "\(what) \(name) appears twice"
                : "\(what) names are not sorted by bytes: \(previous) comes before \(name)")
        }
    }

    /// Letters, digits and `_`, not starting with a digit: the names the
    /// engine accepts from a game's declaration.
    static func isIdentifier(_ name: String) -> Bool {
        let bytes = name.utf8
        guard let first = bytes.first, !(48...57).contains(first) else { return false }
        return bytes.allSatisfy { $0 == UInt8(ascii: "_") || (48...57).contains($0) || (97...122).contains($0 | 0x20) }
    }

    /// `u8 type, parameters`. An entity reference's kind travels as
    /// `kindNumber`; a reader leaves the type's kind unnamed until the end.
    static func fieldType<S: BitStream>(_ type: inout FieldType, kindNumber: inout Int, _ stream: inout S) throws(ProtocolError) {
        var byte = UInt64(typeByte(type))
        try stream.bits(&byte, count: 8)
        switch byte {
        case 0:
            type = .bool
        case 1:
            var bits = 0, signed = 0
            if case .integer(let b, let s) = type { bits = b; signed = s ? 1 : 0 }
            try u8(&bits, &stream)
            try u8(&signed, &stream)
            guard bits == 8 || bits == 16 || bits == 32 else {
                throw ProtocolError(.outOfRange, "integer fields have 8, 16 or 32 bits, not \(bits)")
            }
            guard signed <= 1 else { throw ProtocolError(.outOfRange, "integer signedness must be 0 or 1, not \(signed)") }
            type = .integer(bits: bits, signed: signed == 1)
        case 2:
            type = .f32
        case 3:
            var axis = FixedAxis()
            if case .fixed(let min, let max, let step) = type { axis = FixedAxis(min: min, max: max, step: step) }
            _ = try axis.serialize(maxSteps: FieldType.maxFixedSteps, &stream)
            type = .fixed(min: axis.min, max: axis.max, step: axis.step)
        case 4:
            var bits = 0
            if case .angle(let b) = type { bits = b }
            try u8(&bits, &stream)
            guard (2...16).contains(bits) else { throw ProtocolError(.outOfRange, "angle fields have 2 to 16 bits, not \(bits)") }
            type = .angle(bits: bits)
        case 5:
            var maxBytes = 0
            if case .string(let m) = type { maxBytes = m }
            var wide = UInt64(maxBytes)
            try stream.varint(&wide)
            guard (1...UInt64(FieldType.maxStringBytes)).contains(wide) else {
                throw ProtocolError(.outOfRange, "string fields hold 1 to \(FieldType.maxStringBytes) bytes, not \(wide)")
            }
            type = .string(maxBytes: Int(wide))
        case 6:
            try stream.varint(&kindNumber, limit: GameSchema.maxKinds)
            if stream.isReading { type = .entity(kind: nil) }
        case 7:
            var axes = [FixedAxis](repeating: FixedAxis(), count: 3)
            if case .vec3(let x, let y, let z) = type { axes = [FixedAxis(x), FixedAxis(y), FixedAxis(z)] }
            var width = 0
            // An axis is bounded only by the 63 bits of the three together.
            for i in 0..<3 { width += FieldType.bitsFor(try axes[i].serialize(maxSteps: 0x1p62, &stream)) }
            guard width <= FieldType.maxVectorBits else {
                throw ProtocolError(.outOfRange, "vec3 axes take \(width) bits together, above \(FieldType.maxVectorBits)")
            }
            type = .vec3(x: axes[0].axis, y: axes[1].axis, z: axes[2].axis)
        case 8:
            var bits = 0
            if case .quat(let b) = type { bits = b }
            try u8(&bits, &stream)
            guard FieldType.quaternionBits.contains(bits) else {
                throw ProtocolError(.outOfRange, "quat fields have \(FieldType.quaternionBits) bits per component, not \(bits)")
            }
            type = .quat(bits: bits)
        default:
            throw ProtocolError(.unknown, "unknown field type \(byte)")
        }
    }

    static func typeByte(_ type: FieldType) -> UInt8 {
        switch type {
        case .bool: 0
        case .integer: 1
        case .f32: 2
        case .fixed: 3
        case .angle: 4
        case .string: 5
        case .entity: 6
        case .vec3: 7
        case .quat: 8
        }
    }

    static func u8<S: BitStream>(_ value: inout Int, _ stream: inout S) throws(ProtocolError) {
        var v = UInt64(value)
        try stream.bits(&v, count: 8)
        value = Int(v)
    }
}

/// `f64 min, f64 max, f64 step` of a `fixed` field or one `vec3` axis:
/// finite, `min < max`, `step > 0`, and 1...`maxSteps` whole steps (a
/// `fixed` has at most 2^32 - 1; a vec3 axis is bounded by the 63 bits of
/// the three axes together).
private struct FixedAxis {
    var min = 0.0, max = 0.0, step = 0.0

    init() {}
    init(min: Double, max: Double, step: Double) { (self.min, self.max, self.step) = (min, max, step) }
    init(_ axis: FieldType.Axis) { self.init(min: axis.min, max: axis.max, step: axis.step) }

    var axis: FieldType.Axis { FieldType.Axis(min: min, max: max, step: step) }

    /// Returns the axis's steps.
    mutating func serialize<S: BitStream>(maxSteps: Double, _ stream: inout S) throws(ProtocolError) -> Int64 {
        try stream.double(&min)
        try stream.double(&max)
        try stream.double(&step)
        guard min.isFinite, max.isFinite, step.isFinite else {
            throw ProtocolError(.outOfRange, "fixed min, max and step must be finite, got \(min), \(max), \(step)")
        }
        guard min < max else { throw ProtocolError(.outOfRange, "fixed needs min < max, got \(min) and \(max)") }
        guard step > 0 else { throw ProtocolError(.outOfRange, "fixed needs a positive step, got \(step)") }
        // The arithmetic of FieldType.steps, checked before it converts to an integer.
        let steps = ((max - min) / step + 1e-9).rounded(.down)
        guard steps.isFinite, steps <= maxSteps else {
            throw ProtocolError(.outOfRange, "fixed \(min)...\(max) at step \(step) has more than \(maxSteps) steps")
        }
        guard steps >= 1 else { throw ProtocolError(.outOfRange, "fixed step \(step) is larger than the range \(min)...\(max)") }
        return FieldType.steps(min: min, max: max, step: step)
    }
}

extension FieldType {
    /// This type's byte on the wire (docs/protocol.md, "Schemas").
    var wireByte: UInt8 { WireSchema.typeByte(self) }
}
