extension MatchState {
    /// The state as one line of JSON, the same text for the same state:
    ///
    ///     {"tick":12,"hash":"00ab…(16 hex digits)","status":"running",
    ///      "match":{"round":2,…},
    ///      "players":[{"id":1,"name":"ann"},…],
    ///      "entities":{"mark":[],"ship":[{"id":3,"alive":true,"x":1.5,…},…],…},
    ///      "events":[{"name":"moved","to":0,"fields":{"by":3,"who":1}},…]}
    ///
    /// `"detail"` follows `"status"` when the match has ended (the rendered
    /// `game.result` value or the failure). Kinds and fields are in schema
    /// order (byte order of their names), every declared kind listed;
    /// entities in id order, `"id"` first (a name no field may take);
    /// players by id; events in emission order.
    ///
    /// Values are what a client decodes: bools, numbers, strings, entity
    /// references as ids (0 for none), `vec3` as `{"x":…,"y":…,"z":…}` and
    /// `quat` as `{"x":…,"y":…,"z":…,"w":…}`, the objects the JavaScript
    /// client and bots see. An `f32` holding NaN or an infinity is `null`.
    public var json: String {
        var entities: [(key: String, value: OrderedJSON)] = []
        for kind in kinds {
            entities.append((kind.name, .array(kind.entities.map { entity in
                .object([("id", .number(Double(entity.id)))] + entity.fields.jsonMembers)
            })))
        }
        var members: [(key: String, value: OrderedJSON)] = [
            ("tick", .number(Double(tick))),
            ("hash", .string(hash.description)),
            ("status", .string(status)),
        ]
        if let statusDetail { members.append(("detail", .string(statusDetail))) }
        members += [
            ("match", .object(match.jsonMembers)),
            ("players", .array(players.map { .object([("id", .number(Double($0.id))), ("name", .string($0.name))]) })),
            ("entities", .object(entities)),
            ("events", .array(events.map { event in
                .object([("name", .string(event.name)), ("to", .number(Double(event.to))),
                         ("fields", .object(event.fields.jsonMembers))])
            })),
        ]
        return OrderedJSON.object(members).text
    }
}

extension MatchState.Fields {
    fileprivate var jsonMembers: [(key: String, value: OrderedJSON)] {
        zip(names, values).map { ($0, $1.json) }
    }
}

extension FieldValue {
    /// The value as the JavaScript client holds it.
    var json: OrderedJSON {
        switch self {
        case .bool(let b): .bool(b)
        case .number(let d): .number(d)
        case .string(let s): .string(s)
        case .entity(let id): .number(Double(id))
        case .vector(let x, let y, let z): .object([("x", .number(x)), ("y", .number(y)), ("z", .number(z))])
        case .quaternion(let x, let y, let z, let w):
            .object([("x", .number(x)), ("y", .number(y)), ("z", .number(z)), ("w", .number(w))])
        }
    }
}
