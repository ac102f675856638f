/// The `FieldCoding` of every field of a schema, built once per schema.
public struct SnapshotCoding: Sendable {
    public let schema: GameSchema
    public let match: [FieldCoding]
    public let kinds: [[FieldCoding]]
    public let events: [[FieldCoding]]
    public let input: [FieldCoding]
    /// Most fields of any one set, for scratch buffers.
    public let maxFields: Int
    /// Where each kind's fields start in a message's memory of changed-value
    /// modes (one slot per entity field), and the slots in all.
    let modeSlot: [Int]
    let modeSlots: Int

    public init(_ schema: GameSchema) {
        self.schema = schema
        match = schema.match.fields.map { FieldCoding($0.type) }
        kinds = schema.kinds.map { $0.fields.map { FieldCoding($0.type) } }
        events = schema.events.map { $0.fields.map { FieldCoding($0.type) } }
        input = schema.input.map { FieldCoding($0.type) }
        maxFields = ([match.count] + kinds.map(\.count) + events.map(\.count)).max() ?? 0
        var slots = 0
        modeSlot = kinds.map { fields in
            defer { slots += fields.count }
            return slots
        }
        modeSlots = slots
    }
}
