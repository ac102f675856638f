import Lua

/// Reads `game.state`, `game.input`, `game.events` and `game.client_events`
/// as the designer wrote them, checking every name and type, and pointing
/// errors at file:line.
struct SchemaReader {
    let locator: SourceLocator

    func read(game: LuaValue) throws(GameError) -> GameSchema {
        let state = game["state"]
        guard case .table(let stateEntries) = state else {
            throw error(["state"], state == .nil
                ? "game.state is missing: declare the entity kinds, e.g. game.state = { ship = { x = \"f32\" } }"
                : "game.state must be a table, got \(state.typeName)")
        }
        var kindNames: [String] = []
        for entry in stateEntries {
            guard case .string(let name) = entry.key else {
                throw error(["state"], "game.state keys must be kind names, got \(entry.key.rendered)")
            }
            if name != "match" { kindNames.append(name) }
        }
        kindNames.sort { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        guard kindNames.count <= GameSchema.maxKinds else {
            throw error(["state"], "at most \(GameSchema.maxKinds) entity kinds, got \(kindNames.count)")
        }
        let known = Set(kindNames)
        var kinds: [FieldSet] = []
        for (offset, name) in kindNames.enumerated() {
            try checkIdentifier(name, path: ["state", name], what: "entity kind")
            if GameSchema.reservedKinds.contains(name) {
                throw error(["state", name], "'\(name)' is reserved; choose another kind name")
            }
            let fields = try readFields(state[name], path: ["state", name], kinds: known,
                                        reserved: GameSchema.reservedEntityFields, allowStrings: true)
            kinds.append(FieldSet(name: name, index: offset + 1, fields: fields))
        }
        let matchFields = try readFields(state["match"], path: ["state", "match"], kinds: known,
                                         reserved: GameSchema.reservedMatchFields, allowStrings: true, optional: true)
        let input = try readFields(game["input"], path: ["input"], kinds: known, reserved: [],
                                   allowStrings: false, optional: true)
        let events = try readEvents(game["events"], section: "events", kinds: known)
        let clientEvents = try readEvents(game["client_events"], section: "client_events", kinds: known)
        return GameSchema(match: FieldSet(name: "match", index: 0, fields: matchFields), kinds: kinds, input: input,
                          events: events, clientEvents: clientEvents)
    }

    /// `game.events` or `game.client_events`: event name = { fields }, optional.
    private func readEvents(_ value: LuaValue, section: String, kinds: Set<String>) throws(GameError) -> [FieldSet] {
        if value == .nil { return [] }
        guard case .table(let entries) = value else {
            throw error([section], "game.\(section) must be a table of event name = { fields }, got \(value.typeName)")
        }
        var names: [String] = []
        for entry in entries {
            guard case .string(let name) = entry.key else {
                throw error([section], "game.\(section) keys must be event names, got \(entry.key.rendered)")
            }
            try checkIdentifier(name, path: [section, name], what: "event")
            names.append(name)
        }
        names.sort { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        guard names.count <= GameSchema.maxEvents else {
            throw error([section], "game.\(section): at most \(GameSchema.maxEvents) events, got \(names.count)")
        }
        var events: [FieldSet] = []
        for (offset, name) in names.enumerated() {
            let fields = try readFields(value[name], path: [section, name], kinds: kinds, reserved: [], allowStrings: true)
            events.append(FieldSet(name: name, index: offset + 1, fields: fields))
        }
        return events
    }

    private func readFields(_ value: LuaValue, path: [String], kinds: Set<String>, reserved: Set<String>,
                            allowStrings: Bool, optional: Bool = false) throws(GameError) -> [Field] {
        let label = path.joined(separator: ".")
        if value == .nil, optional { return [] }
        guard case .table(let entries) = value else {
            throw error(path, "\(label) must be a table of field = type, got \(value.typeName)")
        }
        var fields: [Field] = []
        for entry in entries {
            guard case .string(let name) = entry.key else {
                throw error(path, "\(label): field names must be strings, got \(entry.key.rendered)")
            }
            let fieldPath = path + [name]
            try checkIdentifier(name, path: fieldPath, what: "field")
            if reserved.contains(name) {
                throw error(fieldPath, "\(label).\(name): '\(name)' is reserved by the engine")
            }
            let type = try readType(entry.value, path: fieldPath, kinds: kinds)
            if !allowStrings, case .string = type {
                throw error(fieldPath, "\(label).\(name): inputs cannot be strings: an input is sent every tick, so keep it small and fixed-size")
            }
            fields.append(Field(name: name, type: type))
        }
        guard fields.count <= GameSchema.maxFieldsPerSet else {
            throw error(path, "\(label): at most \(GameSchema.maxFieldsPerSet) fields, got \(fields.count)")
        }
        return fields.sorted { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }
    }

    static let typeNames = "bool, u8, i8, u16, i16, u32, i32, f32, { \"fixed\", min, max, step }, { \"angle\", bits }, "
        + "\"string\" or { \"string\", max_bytes }, \"entity\" or { \"entity\", kind }, { \"vec3\", min, max, step }, "
        + "\"quat\" or { \"quat\", bits }"

    private func readType(_ value: LuaValue, path: [String], kinds: Set<String>) throws(GameError) -> FieldType {
        let label = path.joined(separator: ".")
        let name: String
        var args: [LuaValue] = []
        switch value {
        case .string(let s): name = s
        case .table:
            let items = value.array
            guard let first = items.first?.asString else {
                throw error(path, "\(label): a table type starts with the type name, e.g. { \"fixed\", -100, 100, 0.5 }")
            }
            name = first
            args = Array(items.dropFirst())
        default:
            throw error(path, "\(label): expected a type (\(Self.typeNames)), got \(value.typeName)")
        }
        func number(_ i: Int, _ what: String) throws(GameError) -> Double {
            guard i < args.count, let v = args[i].asDouble, v.isFinite else {
                throw error(path, "\(label): \(name) needs a number for \(what)")
            }
            return v
        }
        func noArgs() throws(GameError) {
            guard args.isEmpty else { throw error(path, "\(label): \(name) takes no parameters") }
        }
        /// Checks a `fixed` range (or a vec3 axis, `what` naming it) and
        /// returns its step count, still a Double: a huge range must not
        /// trap when converted.
        func steps(_ min: Double, _ max: Double, _ step: Double, _ what: String) throws(GameError) -> Double {
            guard min < max else { throw error(path, "\(label): \(what) needs min < max, got \(min) and \(max)") }
            guard step > 0 else { throw error(path, "\(label): \(what) needs a positive step, got \(step)") }
            let steps = ((max - min) / step + 1e-9).rounded(.down)
            guard steps >= 1 else { throw error(path, "\(label): \(what) step \(step) is larger than the range \(min)...\(max)") }
            return steps
        }
        switch name {
        case "bool": try noArgs(); return .bool
        case "u8", "i8", "u16", "i16", "u32", "i32":
            try noArgs()
            return .integer(bits: Int(name.dropFirst())!, signed: name.hasPrefix("i"))
        case "f32": try noArgs(); return .f32
        case "fixed":
            guard args.count == 3 else {
                throw error(path, "\(label): fixed needs { \"fixed\", min, max, step }")
            }
            let (min, max, step) = (try number(0, "min"), try number(1, "max"), try number(2, "step"))
            guard try steps(min, max, step, "fixed") <= FieldType.maxFixedSteps else {
                throw error(path, "\(label): fixed range \(min)...\(max) at step \(step) needs more than 32 bits; use a larger step or f32")
            }
            return .fixed(min: min, max: max, step: step)
        case "angle":
            let bits = args.isEmpty ? 12 : try number(0, "bits")
            guard args.count <= 1, bits == bits.rounded(), (2...16).contains(bits) else {
                throw error(path, "\(label): angle takes a bit count from 2 to 16, e.g. { \"angle\", 10 }")
            }
            return .angle(bits: Int(bits))
        case "vec3":
            return try readVector(args, path: path, steps: steps)
        case "quat":
            let bits = args.isEmpty ? Double(FieldType.defaultQuaternionBits) : try number(0, "bits")
            let allowed = FieldType.quaternionBits
            guard args.count <= 1, bits == bits.rounded(), Double(allowed.lowerBound)...Double(allowed.upperBound) ~= bits else {
                throw error(path, "\(label): quat takes a bit count per component from \(allowed.lowerBound) to \(allowed.upperBound), "
                            + "e.g. { \"quat\", 12 }")
            }
            return .quat(bits: Int(bits))
        case "string":
            let bytes = args.isEmpty ? Double(FieldType.defaultStringBytes) : try number(0, "max bytes")
            guard args.count <= 1, bytes == bytes.rounded(), (1...Double(FieldType.maxStringBytes)).contains(bytes) else {
                throw error(path, "\(label): string takes a maximum length from 1 to \(FieldType.maxStringBytes) bytes")
            }
            return .string(maxBytes: Int(bytes))
        case "entity":
            guard args.count <= 1 else { throw error(path, "\(label): entity takes at most a kind name") }
            guard let kindValue = args.first else { return .entity(kind: nil) }
            guard let kind = kindValue.asString, kinds.contains(kind) else {
                throw error(path, "\(label): entity kind \(kindValue.rendered) is not declared in game.state")
            }
            return .entity(kind: kind)
        default:
            throw error(path, "\(label): unknown field type '\(name)' (expected one of \(Self.typeNames))")
        }
    }

    /// `{ "vec3", min, max, step }` for all three axes, or one
    /// `{ min, max, step }` per axis; at most 63 bits in all.
    private func readVector(_ args: [LuaValue], path: [String],
                            steps: (Double, Double, Double, String) throws(GameError) -> Double) throws(GameError) -> FieldType {
        let label = path.joined(separator: ".")
        let usage = "vec3 needs { \"vec3\", min, max, step } or { \"vec3\", { minx, maxx, stepx }, { miny, maxy, stepy }, { minz, maxz, stepz } }"
        let triples: [[LuaValue]]
        if args.count == 3, args.allSatisfy({ $0.asDouble != nil }) {
            triples = [args, args, args]
        } else if args.count == 3, args.allSatisfy({ if case .table = $0 { true } else { false } }) {
            triples = args.map(\.array)
        } else {
            throw error(path, "\(label): \(usage)")
        }
        var axes: [FieldType.Axis] = []
        for (name, triple) in zip(["x", "y", "z"], triples) {
            let what = args[0].asDouble != nil ? "vec3" : "vec3 \(name) axis"
            let numbers = triple.compactMap(\.asDouble)
            guard triple.count == 3, numbers.count == 3, numbers.allSatisfy(\.isFinite) else {
                throw error(path, "\(label): \(what) needs three numbers, min, max and step: \(usage)")
            }
            // Below 2^62 steps the conversion is exact enough and cannot trap;
            // the total is checked against 63 bits next.
            guard try steps(numbers[0], numbers[1], numbers[2], what) < 0x1p62 else {
                throw error(path, "\(label): \(what) range \(numbers[0])...\(numbers[1]) at step \(numbers[2]) needs more than 63 bits; use a larger step")
            }
            axes.append(FieldType.Axis(min: numbers[0], max: numbers[1], step: numbers[2]))
        }
        let widths = axes.map(\.bits)
        let total = widths.reduce(0, +)
        guard total <= FieldType.maxVectorBits else {
            throw error(path, "\(label): vec3 needs \(total) bits (x \(widths[0]), y \(widths[1]), z \(widths[2])), "
                        + "more than \(FieldType.maxVectorBits): use larger steps or smaller ranges")
        }
        return .vec3(x: axes[0], y: axes[1], z: axes[2])
    }

    private func checkIdentifier(_ name: String, path: [String], what: String) throws(GameError) {
        let valid = !name.isEmpty && name.utf8.count <= 64
            && name.utf8.allSatisfy { $0 == UInt8(ascii: "_") || ($0 >= 48 && $0 <= 57) || ($0 | 0x20 >= 97 && $0 | 0x20 <= 122) }
            && !(name.utf8.first! >= 48 && name.utf8.first! <= 57)
        guard valid else {
            throw error(path, "'\(name)' is not a valid \(what) name (letters, digits and _, not starting with a digit)")
        }
    }

    func error(_ path: [String], _ message: String) -> GameError {
        GameError(location: locator.location(of: path), message: message)
    }
}
