/// The numbers a changed value is coded by (docs/protocol.md, "Changed
/// values"): a scalar is one; a `vec3` its three axes' step counts; a `quat`
/// its three smallest components, which are comparable only between values
/// with the same largest component (the same *frame*). A plain value of
/// SIMD lanes, so the vector arithmetic of a changed value is lane-wise.
public struct ValueComponents: Sendable, Equatable {
    enum Layout: Sendable { case scalar, vec3, quat }

    let layout: Layout
    /// 1 for scalars, 3 for vec3 and quat (a scalar's other lanes are 0).
    let count: Int
    private let shifts: SIMD3<UInt64>
    private let masks: SIMD3<UInt64>
    /// Width of each component, and the Exp-Golomb orders of modes 2 and 3
    /// (⌊w/3⌋, ⌊2w/3⌋); mode 1's is 0.
    let widths: SIMD3<UInt64>
    let orders: (SIMD3<UInt64>, SIMD3<UInt64>, SIMD3<UInt64>)
    let lowers: SIMD3<Int64>
    let uppers: SIMD3<Int64>
    /// Lanes a prediction may move: components at most `maxPredictedBits` wide.
    private let predictable: SIMDMask<SIMD3<Int64>.MaskStorage>

    /// Components wider than this are predicted as their baseline value, so
    /// a prediction's product stays below 2^44 (exact in a double, for
    /// JavaScript decoders): differences are below 2^32, tick gaps at most
    /// `PredictionGaps.maxAhead`.
    public static let maxPredictedBits = 32

    public static func == (a: Self, b: Self) -> Bool {
        a.layout == b.layout && a.shifts == b.shifts && a.masks == b.masks && a.lowers == b.lowers && a.uppers == b.uppers
    }

    /// The components of values of quantizer `q`, whose full width is `width`.
    @inline(__always)
    init(_ q: Quantizer, width: Int) {
        var widths = SIMD3<UInt64>(UInt64(width), 0, 0)
        switch q.kind {
        case .vec3:
            layout = .vec3; count = 3
            shifts = [0, UInt64(q.shiftY), UInt64(q.shiftZ)]
            widths = [UInt64(q.shiftY), UInt64(q.shiftZ - q.shiftY), UInt64(width - q.shiftZ)]
            lowers = [0, 0, 0]
            uppers = [q.stepsX, q.stepsY, q.stepsZ]
        case .quat:
            layout = .quat; count = 3
            let bits = UInt64(q.bits)
            shifts = [2, 2 + bits, 2 + 2 * bits]
            widths = [bits, bits, bits]
            lowers = [0, 0, 0]
            let top = (Int64(1) << q.bits) - 1
            uppers = [top, top, top]
        default:
            layout = .scalar; count = 1
            shifts = [0, 0, 0]
            lowers = [q.lower, 0, 0]
            uppers = [q.upper, 0, 0]
        }
        self.widths = widths
        masks = layout == .scalar ? [.max, 0, 0] : (SIMD3(repeating: 1) &<< widths) &- 1
        orders = (.zero, widths / 3, widths &* 2 / 3)
        predictable = SIMD3<Int64>(truncatingIfNeeded: widths) .<= Int64(Self.maxPredictedBits)
    }

    @inline(__always) func width(_ c: Int) -> Int { Int(widths[c]) }
    @inline(__always) func lower(_ c: Int) -> Int64 { lowers[c] }
    @inline(__always) func upper(_ c: Int) -> Int64 { uppers[c] }

    /// The components of a stored value.
    @inline(__always)
    func split(_ q: Int64) -> SIMD3<Int64> {
        SIMD3<Int64>(truncatingIfNeeded: (SIMD3(repeating: UInt64(bitPattern: q)) &>> shifts) & masks)
    }

    /// The stored value of `components`, in the frame of `frameOf` (a
    /// quat keeps its largest component's index).
    @inline(__always)
    func join(_ components: SIMD3<Int64>, frame frameOf: Int64) -> Int64 {
        guard layout != .scalar else { return components[0] }
        let lanes = (SIMD3<UInt64>(truncatingIfNeeded: components) & masks) &<< shifts
        let packed = Int64(bitPattern: lanes[0] | lanes[1] | lanes[2])
        return layout == .quat ? packed | (frameOf & 3) : packed
    }

    /// Whether two stored values' components are comparable (quat: the same
    /// largest component).
    @inline(__always)
    func sameFrame(_ a: Int64, _ b: Int64) -> Bool {
        layout != .quat || a & 3 == b & 3
    }

    /// The prediction of a value whose baseline is `baseline` (components
    /// `base`): `b + (b - p) * ahead / behind`, truncated toward zero and
    /// clamped to the component's range, `p` being the value in the frame
    /// before the baseline; the baseline itself when there is no such frame,
    /// the quat's frame changed, or the component is wider than
    /// `maxPredictedBits`.
    @inline(__always)
    func predict(_ base: SIMD3<Int64>, baseline: Int64, _ reference: PredictionReference) -> SIMD3<Int64> {
        let gaps = reference.gaps
        guard gaps.behind > 0, sameFrame(reference.prior, baseline) else { return base }
        var step = base &- split(reference.prior)
        if gaps.ahead != gaps.behind { step = step &* gaps.ahead / gaps.behind }
        var out = pointwiseMin(pointwiseMax(base &+ step, lowers), uppers)
        out.replace(with: base, where: .!predictable)
        return out
    }

    /// Bits of the three relative codes of `value` from `ref` (orders 0,
    /// ⌊w/3⌋, ⌊2w/3⌋ per component), summed over the components.
    @inline(__always)
    func codeBits(_ value: SIMD3<Int64>, from ref: SIMD3<Int64>) -> (Int, Int, Int) {
        let d = value &- ref
        let zigzag = SIMD3<UInt64>(truncatingIfNeeded: (d &<< 1) ^ (d &>> 63))
        @inline(__always) func bits(_ k: SIMD3<UInt64>) -> Int {
            let high = (zigzag &>> k) &+ 1
            let lanes = (SIMD3<UInt64>(repeating: 63) &- SIMD3<UInt64>(truncatingIfNeeded: high.leadingZeroBitCount)) &* 2 &+ 1 &+ k
            return Int(lanes[0] &+ lanes[1] &+ lanes[2])
        }
        return (bits(orders.0), bits(orders.1), bits(orders.2))
    }
}

/// What a changed value's prediction starts from: its value in the frame the
/// client held before the baseline, and the tick gaps. `none` (or gaps with
/// `behind` 0) predicts the baseline.
public struct PredictionReference: Sendable {
    public var prior: Int64
    public var gaps: PredictionGaps

    @inline(__always)
    public init(prior: Int64, gaps: PredictionGaps) {
        self.prior = prior
        self.gaps = gaps
    }

    public static let none = PredictionReference(prior: 0, gaps: .none)
}

/// The tick gaps of a prediction: `ahead` = T - B (message to baseline),
/// `behind` = B - P (baseline to the frame before it). `behind` 0: none.
public struct PredictionGaps: Sendable, Equatable {
    public let ahead: Int64
    public let behind: Int64

    /// Most ticks from the baseline a message may predict over
    /// (docs/protocol.md, "snapshot"); further, the server sends no prior.
    public static let maxAhead = 4096

    public init(ahead: Int, behind: Int) {
        self.ahead = Int64(ahead)
        self.behind = Int64(behind)
    }

    public static let none = PredictionGaps(ahead: 0, behind: 0)
    public var isNone: Bool { behind == 0 }
}
