/// A client's live copy of a match: the state of the last snapshot it
/// applied, with callbacks as entities appear, change and disappear.
///
/// It decodes exactly what a network client receives, so headless bots and
/// tests see what players see. Not thread-safe: one mirror per connection.
public final class ClientMirror {
    public let coding: SnapshotCoding
    public var schema: GameSchema { coding.schema }
    /// The state of the last snapshot applied; nil before the first.
    public private(set) var state: Snapshot?
    /// The state before it, which the next snapshot may predict from.
    public private(set) var previous: Snapshot?
    /// The last input of ours the server had processed at that snapshot.
    public private(set) var lastProcessedInput: UInt64 = 0

    public var onAdded: ((EntityView) -> Void)?
    /// The entity and the indices of the fields that changed.
    public var onChanged: ((EntityView, [Int]) -> Void)?
    public var onRemoved: ((EntityView) -> Void)?
    public var onEvent: ((EventView) -> Void)?

    public init(schema: GameSchema) {
        coding = SnapshotCoding(schema)
    }

    /// A mirror for the game a `welcome` message describes.
    public convenience init(welcome: [UInt8]) throws(ProtocolError) {
        self.init(schema: try Welcome.decode(welcome).schema)
    }

    /// Applies one `snapshot` message; returns the new state. On error the
    /// mirror keeps the state it had.
    @discardableResult
    public func apply(_ message: [UInt8]) throws(ProtocolError) -> Snapshot {
        let decoded = try SnapshotMessage.decode(message, baseline: state, prior: previous, coding: coding)
        let old = state ?? .empty
        let new = decoded.snapshot
        previous = state
        state = new
        lastProcessedInput = decoded.lastInput
        if onAdded != nil || onChanged != nil || onRemoved != nil { report(from: old, to: new) }
        if let onEvent {
            for e in new.events { onEvent(EventView(snapshot: new, event: e, schema: schema)) }
        }
        return new
    }

    private func report(from old: Snapshot, to new: Snapshot) {
        var i = 0, j = 0
        while i < old.entities.count || j < new.entities.count {
            if j == new.entities.count || (i < old.entities.count && old.entities[i].id < new.entities[j].id) {
                onRemoved?(EntityView(snapshot: old, entity: old.entities[i], schema: schema)); i += 1
            } else if i == old.entities.count || new.entities[j].id < old.entities[i].id {
                onAdded?(EntityView(snapshot: new, entity: new.entities[j], schema: schema)); j += 1
            } else {
                let a = old.entities[i], b = new.entities[j]
                if a.kind != b.kind {
                    onRemoved?(EntityView(snapshot: old, entity: a, schema: schema))
                    onAdded?(EntityView(snapshot: new, entity: b, schema: schema))
                } else {
                    let fields = coding.kinds[Int(b.kind)]
                    var changed: [Int] = []
                    for (f, field) in fields.enumerated() {
                        let x = old.values[Int(a.offset) + f], y = new.values[Int(b.offset) + f]
                        let same = field.isString
                            ? old.strings.bytes(at: Int(x)).elementsEqual(new.strings.bytes(at: Int(y)))
                            : x == y
                        if !same { changed.append(f) }
                    }
                    if !changed.isEmpty { onChanged?(EntityView(snapshot: new, entity: b, schema: schema), changed) }
                }
                i += 1; j += 1
            }
        }
    }

    /// The entity with `id` in the current state.
    public func entity(id: UInt32) -> EntityView? {
        guard let state, let e = state.entity(id: id) else { return nil }
        return EntityView(snapshot: state, entity: e, schema: schema)
    }

    /// Every entity in the current state, by id.
    public var entities: [EntityView] {
        guard let state else { return [] }
        return state.entities.map { EntityView(snapshot: state, entity: $0, schema: schema) }
    }
}

/// A decoded field value, as a reader of the state sees it.
public enum FieldValue: Sendable, Equatable {
    case bool(Bool)
    case number(Double)
    case string(String)
    /// An entity id; 0 for none.
    case entity(UInt32)
    case vector(x: Double, y: Double, z: Double)
    case quaternion(x: Double, y: Double, z: Double, w: Double)

    public init(_ q: Int64, type: FieldType, strings: StringTable) {
        switch type {
        case .bool: self = .bool(q != 0)
        case .string: self = .string(String(decoding: strings.bytes(at: Int(q)), as: UTF8.self))
        case .entity: self = .entity(UInt32(truncatingIfNeeded: q))
        case .vec3:
            let v = type.quantizer.dequantizeVector(q)
            self = .vector(x: v.x, y: v.y, z: v.z)
        case .quat:
            let v = type.quantizer.dequantizeQuaternion(q)
            self = .quaternion(x: v.x, y: v.y, z: v.z, w: v.w)
        case .integer, .f32, .fixed, .angle: self = .number(type.dequantize(q))
        }
    }
}

/// One entity of a snapshot, decoded on demand.
public struct EntityView: Sendable {
    public let id: UInt32
    public let kind: String
    private let snapshot: Snapshot
    private let entity: Snapshot.Entity
    private let fieldSet: FieldSet

    init(snapshot: Snapshot, entity: Snapshot.Entity, schema: GameSchema) {
        self.snapshot = snapshot
        self.entity = entity
        fieldSet = schema.kinds[Int(entity.kind)]
        id = entity.id
        kind = fieldSet.name
    }

    public subscript(field: String) -> FieldValue? {
        guard let f = fieldSet.fields.firstIndex(where: { $0.name == field }) else { return nil }
        return self[f]
    }

    public subscript(index: Int) -> FieldValue {
        FieldValue(snapshot.values[Int(entity.offset) + index], type: fieldSet.fields[index].type, strings: snapshot.strings)
    }

    public var fieldNames: [String] { fieldSet.fields.map(\.name) }
}

/// One event of a snapshot, decoded on demand.
public struct EventView: Sendable {
    public let name: String
    private let snapshot: Snapshot
    private let event: Snapshot.Event
    private let fieldSet: FieldSet

    init(snapshot: Snapshot, event: Snapshot.Event, schema: GameSchema) {
        self.snapshot = snapshot
        self.event = event
        fieldSet = schema.events[Int(event.kind)]
        name = fieldSet.name
    }

    public subscript(field: String) -> FieldValue? {
        guard let f = fieldSet.fields.firstIndex(where: { $0.name == field }) else { return nil }
        return FieldValue(snapshot.values[Int(event.offset) + f], type: fieldSet.fields[f].type, strings: snapshot.strings)
    }
}
