/// Spatial interest for one tick (`game.interest`): which entities each
/// player sees by distance, found through a uniform grid of cells one
/// radius wide, so a player's query reads the 9 (27 in 3D) cells around
/// its viewpoint, not every entity.
///
/// Built once per tick, on the first view that needs it. Entities it does
/// not place (no position, a kind rule, an audience set by the rules) are
/// listed in `unplaced` and decided per player by `TickViews.sees`.
struct SpatialInterest {
    private struct Cell: Hashable {
        let x, y, z: Int32
    }

    /// Entities decided by the rules, not by distance (by index).
    private(set) var unplaced: [Int] = []
    private var cells: [Cell: [Int]] = [:]
    private var positions: [SIMD3<Double>]
    /// Each player's viewpoint: their lowest-id entity of the interest kind.
    private var viewpoints: [Int: SIMD3<Double>] = [:]
    /// Placed entities by owner: an owner sees its own however far.
    private var owned: [Int: [Int]] = [:]
    private let radius: Double
    private let threeD: Bool

    init(views: TickViews) {
        let snapshot = views.snapshot
        let rules = views.rules
        radius = rules.interest?.radius ?? .infinity
        let from = rules.interest?.from ?? -1
        positions = Array(repeating: .zero, count: snapshot.entities.count)
        var readers: [((Int32) -> SIMD3<Double>)?] = []
        var threeD = false
        for (k, kind) in rules.kinds.enumerated() {
            let fields = views.schema.kinds[k].fields
            switch kind.position {
            case .fields(let x, let y, let z):
                let (qx, qy) = (fields[x].type.quantizer, fields[y].type.quantizer)
                let zAxis = z.map { (field: $0, quantizer: fields[$0].type.quantizer) }
                if zAxis != nil { threeD = true }
                readers.append { offset in
                    let o = Int(offset)
                    return SIMD3(qx.dequantize(snapshot.values[o + x]), qy.dequantize(snapshot.values[o + y]),
                                 zAxis.map { $0.quantizer.dequantize(snapshot.values[o + $0.field]) } ?? 0)
                }
            case .vector(let f):
                let q = fields[f].type.quantizer
                threeD = true
                readers.append { offset in
                    let v = q.dequantizeVector(snapshot.values[Int(offset) + f])
                    return SIMD3(v.x, v.y, v.z)
                }
            case nil:
                readers.append(nil)
            }
        }
        self.threeD = threeD
        for (i, e) in snapshot.entities.enumerated() {
            let k = Int(e.kind)
            guard let read = readers[k] else {
                unplaced.append(i)
                continue
            }
            let p = read(e.offset)
            let owner = views.owner(i)
            if k == from, owner > 0, viewpoints[owner] == nil { viewpoints[owner] = p }
            guard views.isPlaced(i) else {
                unplaced.append(i)
                continue
            }
            positions[i] = p
            cells[cell(of: p), default: []].append(i)
            if owner > 0 { owned[owner, default: []].append(i) }
        }
    }

    private func cell(of p: SIMD3<Double>) -> Cell {
        func c(_ v: Double) -> Int32 {
            guard v.isFinite else { return 0 }
            return Int32(clamping: Int64((v / radius).rounded(.down).clamped(-2e9, 2e9)))
        }
        return Cell(x: c(p.x), y: c(p.y), z: threeD ? c(p.z) : 0)
    }

    /// The placed entities `player` sees: those within the radius of its
    /// viewpoint (none without one) and those it owns; unsorted, an owned
    /// one possibly twice.
    func near(player: Int) -> [Int] {
        var found = owned[player] ?? []
        guard let center = viewpoints[player] else { return found }
        let home = cell(of: center)
        let r2 = radius * radius
        let zs: ClosedRange<Int32> = threeD ? home.z &- 1...home.z &+ 1 : 0...0
        for z in zs {
            for y in home.y &- 1...home.y &+ 1 {
                for x in home.x &- 1...home.x &+ 1 {
                    guard let members = cells[Cell(x: x, y: y, z: z)] else { continue }
                    for i in members {
                        let d = positions[i] - center
                        if (d * d).sum() <= r2 { found.append(i) }
                    }
                }
            }
        }
        return found
    }
}

private extension Double {
    func clamped(_ lo: Double, _ hi: Double) -> Double { Swift.min(Swift.max(self, lo), hi) }
}
