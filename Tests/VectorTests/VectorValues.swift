import Protocol

/// How the vectors write what a reader sees (Tests/vectors/protocol-v2.json,
/// "VALUE" and "FIELD"): decoded values, schemas and welcomes as JSON, and
/// back from JSON values to the stored integers a client message carries.
enum VectorValues {
    /// A number; non-finite ones as the strings "NaN", "Infinity", "-Infinity".
    static func number(_ d: Double) -> JSON {
        if d.isNaN { return .string("NaN") }
        if d.isInfinite { return .string(d < 0 ? "-Infinity" : "Infinity") }
        return .number(d)
    }

    static func json(_ value: FieldValue) -> JSON {
        switch value {
        case .bool(let b): .bool(b)
        case .number(let d): number(d)
        case .string(let s): .string(s)
        case .entity(let id): .integer(id)
        case .vector(let x, let y, let z): .object([("x", number(x)), ("y", number(y)), ("z", number(z))])
        case .quaternion(let x, let y, let z, let w): .object([("x", number(x)), ("y", number(y)), ("z", number(z)), ("w", number(w))])
        }
    }

    /// The fields of one set as `{"name": VALUE, ...}`, in schema order.
    static func fields(_ fields: [Field], values: some Collection<Int64>, strings: StringTable) -> JSON {
        .object(zip(fields, values).map { field, q in (field.name, json(FieldValue(q, type: field.type, strings: strings))) })
    }

    // MARK: Client messages

    /// The stored integer of a VALUE for `type`, as a client encodes what
    /// its game code hands it: strings go to `strings`. Nil if the JSON is
    /// not a value of that type.
    static func stored(_ value: JSON, _ type: FieldType, strings: inout StringTable) -> Int64? {
        func real(_ v: JSON?) -> Double? {
            switch v {
            case .number(let d)?: d
            case .string("NaN")?: .nan
            case .string("Infinity")?: .infinity
            case .string("-Infinity")?: -.infinity
            default: nil
            }
        }
        switch type {
        case .bool:
            guard case .bool(let b) = value else { return nil }
            return b ? 1 : 0
        case .integer, .entity:
            return value.double.flatMap { Int64(exactly: $0) }
        case .f32:
            return real(value).map { Int64(Float($0).bitPattern) }
        case .fixed, .angle:
            return real(value).map { type.quantize($0) }
        case .string:
            return value.string.map { Int64(strings.append(Array($0.utf8))) }
        case .vec3:
            guard let x = real(value["x"]), let y = real(value["y"]), let z = real(value["z"]) else { return nil }
            return type.quantizer.quantize(vector: x, y: y, z: z)
        case .quat:
            guard let x = real(value["x"]), let y = real(value["y"]), let z = real(value["z"]), let w = real(value["w"]) else { return nil }
            return type.quantizer.quantize(quaternion: x, y: y, z: z, w: w)
        }
    }

    /// Whether a client that sees the VALUE of `q` encodes `q` again: the
    /// values of the encoding vectors are all such fixed points, so an
    /// encoder is checked on the value it is given, not on a rounding.
    static func roundTrips(_ q: Int64, _ type: FieldType) -> Bool {
        if case .string = type { return true }
        var strings = StringTable()
        return stored(json(FieldValue(q, type: type, strings: StringTable())), type, strings: &strings) == q
    }

    // MARK: Schemas

    static func json(_ field: Field) -> JSON {
        func axis(_ a: FieldType.Axis) -> JSON { .object([("min", .number(a.min)), ("max", .number(a.max)), ("step", .number(a.step))]) }
        var pairs: [(String, JSON)] = [("name", .string(field.name))]
        switch field.type {
        case .bool: pairs.append(("type", .string("bool")))
        case .integer(let bits, let signed): pairs.append(("type", .string((signed ? "i" : "u") + String(bits))))
        case .f32: pairs.append(("type", .string("f32")))
        case .fixed(let min, let max, let step):
            pairs += [("type", .string("fixed")), ("min", .number(min)), ("max", .number(max)), ("step", .number(step))]
        case .angle(let bits): pairs += [("type", .string("angle")), ("bits", .integer(bits))]
        case .string(let max): pairs += [("type", .string("string")), ("max", .integer(max))]
        case .entity(let kind): pairs += [("type", .string("entity")), ("of", kind.map { .string($0) } ?? .null)]
        case .vec3(let x, let y, let z): pairs += [("type", .string("vec3")), ("x", axis(x)), ("y", axis(y)), ("z", axis(z))]
        case .quat(let bits): pairs += [("type", .string("quat")), ("bits", .integer(bits))]
        }
        return .object(pairs)
    }

    static func json(_ schema: GameSchema) -> JSON {
        func list(_ fields: [Field]) -> JSON { .array(fields.map(json)) }
        func sets(_ sets: [FieldSet]) -> JSON { .array(sets.map { .object([("name", .string($0.name)), ("fields", list($0.fields))]) }) }
        return .object([
            ("match", list(schema.match.fields)),
            ("kinds", sets(schema.kinds)),
            ("input", list(schema.input)),
            ("events", sets(schema.events)),
            ("clientEvents", sets(schema.clientEvents)),
        ])
    }

    static func json(_ welcome: Welcome) -> JSON {
        .object([
            ("version", .integer(welcome.protocolVersion)),
            ("player", .integer(welcome.playerID)),
            ("match", .string(welcome.matchID)),
            ("tickRate", .integer(welcome.tickRate)),
            ("tick", .integer(welcome.tick)),
            ("resume", .string(welcome.resumeToken)),
            ("schema", json(welcome.schema)),
        ])
    }
}
