import Protocol
import ProtocolTestSupport

/// Sessions over random schemas (`RandomSchema`: every type, parameters
/// from their whole range) with random states that evolve tick by tick:
/// entities come, go and change kind, fields change in random subsets or
/// in a mask shared by the entities of a kind, events go to everyone, to
/// this player or to another (which this player never sees), ticks are
/// skipped, and now and then a full snapshot arrives.
enum RandomSessions {
    struct Plan {
        var seed: UInt64
        var firstTick = 1
        var snapshots = 10
        /// Entity ids start above this.
        var firstID: UInt32 = 0
    }

    static let plans: [Plan] = [
        Plan(seed: 1),
        Plan(seed: 2, snapshots: 12, firstID: 1000),
        // The highest tick a snapshot carries (2^31 - 1) and the highest ids.
        Plan(seed: 3, firstTick: 2_147_483_647 - 30, snapshots: 8, firstID: UInt32.max - 40),
        Plan(seed: 4),
    ]

    /// Longest string a field of a kind or of the match may hold here: the
    /// vectors repeat every entity in every snapshot's expectation, so long
    /// strings live in events and client events only (and in the extremes).
    static let stateStringLimit = 256

    static func schema(_ rng: inout SplitMix64) -> GameSchema {
        while true {
            let s = RandomSchema.make(&rng, sizes: .init(kinds: 1...4, fields: 1...10, events: 1...3, clientEvents: 1...3))
            let stateFields = s.match.fields + s.kinds.flatMap(\.fields)
            if stateFields.allSatisfy({ if case .string(let max) = $0.type { max <= stateStringLimit } else { true } }) { return s }
        }
    }

    static func record(_ plan: Plan, index: Int) -> JSON {
        var rng = SplitMix64(seed: 0x5EED_0000 + plan.seed)
        let schema = schema(&rng)
        let viewer = rng.int(1...255)
        let other = viewer == 255 ? 1 : viewer + 1
        let welcome = Welcome(
            playerID: viewer, matchID: String(decoding: RandomSchema.text(&rng, maxBytes: rng.int(0...64)), as: UTF8.self),
            tickRate: rng.int(1...120), tick: plan.firstTick,
            resumeToken: String(decoding: RandomSchema.text(&rng, maxBytes: rng.pick([0, 20, 128])), as: UTF8.self), schema: schema)
        var session = SessionRecorder(name: "random schema \(index + 1) (seed \(plan.seed)), seen by player \(viewer)", welcome: welcome)
        var model = StateModel(schema: schema)
        var nextID = plan.firstID
        var lastInput: UInt64 = 0
        var tick = plan.firstTick

        func newEntity() -> (UInt32, StateModel.Entity) {
            let gap = UInt32(rng.pick([1, 1, 1, 2, 5, 300]))
            nextID = nextID <= UInt32.max - gap ? nextID + gap : UInt32.max
            let kind = rng.int(0...schema.kinds.count - 1)
            return (nextID, .init(kind: kind, cells: SchemaSessions.randomCells(&rng, schema.kinds[kind].fields)))
        }
        func changeSome(_ cells: inout [StateModel.Cell], _ fields: [Field], mask: [Bool]? = nil) {
            guard !fields.isEmpty else { return }
            var mask = mask ?? fields.map { _ in rng.chance(0.4) }
            if !mask.contains(true) { mask[rng.int(0...fields.count - 1)] = true }
            for (f, field) in fields.enumerated() where mask[f] {
                cells[f] = StateModel.changed(&rng, field.type, from: cells[f])
            }
        }

        for n in 0..<plan.snapshots {
            if n > 0 { tick += rng.pick([1, 1, 1, 2, 4]) }
            tick = min(tick, Int(Int32.max))
            model.next(tick: tick)
            if n > 0 {
                for id in model.entities.keys.sorted() {
                    if rng.chance(0.12) {
                        model.entities[id] = nil
                    } else if schema.kinds.count > 1, rng.chance(0.08) {
                        // Another kind under the same id.
                        var kind = rng.int(0...schema.kinds.count - 2)
                        if kind >= model.entities[id]!.kind { kind += 1 }
                        model.entities[id] = .init(kind: kind, cells: SchemaSessions.randomCells(&rng, schema.kinds[kind].fields))
                    }
                }
                // Per kind, one mask several entities share (same-mask bits).
                let shared = schema.kinds.map { kind in kind.fields.map { _ in rng.chance(0.3) } }
                for id in model.entities.keys.sorted() where rng.chance(0.6) {
                    let kind = model.entities[id]!.kind
                    let fields = schema.kinds[kind].fields
                    changeSome(&model.entities[id]!.cells, fields, mask: rng.chance(0.5) ? shared[kind] : nil)
                }
                if rng.chance(0.5) { changeSome(&model.match, schema.match.fields) }
            } else {
                model.match = SchemaSessions.randomCells(&rng, schema.match.fields)
            }
            for _ in 0..<rng.int(n == 0 ? 3...5 : 0...3) where nextID < UInt32.max {
                let (id, entity) = newEntity()
                model.entities[id] = entity
            }
            for _ in 0..<rng.int(0...3) {
                let kind = rng.int(0...schema.events.count - 1)
                model.events.append(.init(to: rng.pick([0, 0, viewer, other]), kind: kind,
                                          cells: SchemaSessions.randomCells(&rng, schema.events[kind].fields)))
            }
            if rng.chance(0.7) { lastInput += UInt64(rng.int(1...3)) }
            SchemaSessions.send(model, &session, viewer: viewer, lastInput: lastInput, full: n > 0 && rng.chance(0.1))
        }
        SchemaSessions.clientMessages(&rng, &session, sequences: [1, 2, UInt64(rng.int(3...100_000))], ticks: [plan.firstTick, tick])
        return session.json
    }
}
