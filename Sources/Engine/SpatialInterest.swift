/// Spatial interest for one tick (`game.interest`): which entities each
/// player sees by distance, found through a uniform grid, so a player's
/// query reads the 9 (27 in 3D) cells around its viewpoint, not every
/// entity.
///
/// The grid covers the placed entities' extent with cells at least one
/// radius wide (wider when the extent would need more than 256 cells a
/// side, 40 in 3D), stored flat: entity indexes sorted by cell with each
/// cell's start, made by a counting sort — no hashing, one allocation per
/// array. Built once per tick, on the first view that needs it. Entities it
/// does not place (no position, a kind rule, an audience set by the rules)
/// are listed in `unplaced` and decided per player by `TickViews.sees`; an
/// entity at a position that is not finite (an `f32` may hold one) is near
/// nobody.
struct SpatialInterest {
    /// Entities decided by the rules, not by distance (by index).
    private(set) var unplaced: [Int] = []
    private var positions: [SIMD3<Double>]
    /// Each player's viewpoint: their lowest-id entity of the interest kind.
    private var viewpoints: [Int: SIMD3<Double>] = [:]
    /// Placed entities by owner: an owner sees its own however far.
    private var owned: [Int: [Int]] = [:]
    private let radius: Double
    private let threeD: Bool
    /// The grid: its lowest corner, cell size and cells per axis.
    private var origin = SIMD3<Double>.zero
    private var size = SIMD3<Double>(repeating: 1)
    private var cells = SIMD3<Int>(1, 1, 1)
    /// `members[starts[c]..<starts[c + 1]]`: the entities in cell `c`.
    private var starts: [Int32] = []
    private var members: [Int32] = []

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
        var placed: [Int] = []
        var low = SIMD3<Double>(repeating: .infinity), high = SIMD3<Double>(repeating: -.infinity)
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
            if owner > 0 { owned[owner, default: []].append(i) }
            guard p.x.isFinite, p.y.isFinite, p.z.isFinite else { continue }
            positions[i] = p
            placed.append(i)
            low = pointwiseMin(low, p)
            high = pointwiseMax(high, p)
        }
        guard !placed.isEmpty else { return }
        buildGrid(placed, low: low, high: high)
    }

    /// Counts the entities per cell, turns the counts into starts, and
    /// files each entity at its cell's next slot.
    private mutating func buildGrid(_ placed: [Int], low: SIMD3<Double>, high: SIMD3<Double>) {
        let most = threeD ? 40.0 : 256.0
        origin = low
        var counts = SIMD3<Int>(1, 1, 1)
        for axis in 0..<(threeD ? 3 : 2) {
            let extent = high[axis] - low[axis]
            size[axis] = max(radius, extent / most)
            counts[axis] = Int(extent / size[axis]) + 1
        }
        cells = counts
        var starts = [Int32](repeating: 0, count: counts.x * counts.y * counts.z + 1)
        var cellOf = [Int32](repeating: 0, count: placed.count)
        for (n, i) in placed.enumerated() {
            let c = cellIndex(cell(of: positions[i]))
            cellOf[n] = Int32(c)
            starts[c + 1] += 1
        }
        for c in 1..<starts.count { starts[c] += starts[c - 1] }
        var next = starts
        var members = [Int32](repeating: 0, count: placed.count)
        for (n, i) in placed.enumerated() {
            let c = Int(cellOf[n])
            members[Int(next[c])] = Int32(i)
            next[c] += 1
        }
        self.starts = starts
        self.members = members
    }

    /// The cell holding `p`, each coordinate clamped to the grid (a
    /// viewpoint may lie outside the placed entities' extent).
    private func cell(of p: SIMD3<Double>) -> SIMD3<Int> {
        var c = SIMD3<Int>(0, 0, 0)
        for axis in 0..<3 where cells[axis] > 1 {
            let v = ((p[axis] - origin[axis]) / size[axis]).rounded(.down)
            c[axis] = v.isFinite ? Int(min(max(v, -1), Double(cells[axis]))) : -2
        }
        return c
    }

    private func cellIndex(_ c: SIMD3<Int>) -> Int { (c.z * cells.y + c.y) * cells.x + c.x }

    /// The placed entities `player` sees: those within the radius of its
    /// viewpoint (none without one) and those it owns; unsorted, an owned
    /// one possibly twice.
    func near(player: Int) -> [Int] {
        var found = owned[player] ?? []
        guard !members.isEmpty, let center = viewpoints[player], center.x.isFinite, center.y.isFinite, center.z.isFinite
        else { return found }
        // `home` is within -1...cells on each axis, so each range below holds
        // one to three cells.
        let home = cell(of: center)
        let r2 = radius * radius
        for z in max(home.z - 1, 0)...min(home.z + 1, cells.z - 1) {
            for y in max(home.y - 1, 0)...min(home.y + 1, cells.y - 1) {
                for x in max(home.x - 1, 0)...min(home.x + 1, cells.x - 1) {
                    let c = cellIndex(SIMD3(x, y, z))
                    for m in Int(starts[c])..<Int(starts[c + 1]) {
                        let i = Int(members[m])
                        let d = positions[i] - center
                        if (d * d).sum() <= r2 { found.append(i) }
                    }
                }
            }
        }
        return found
    }
}
