/// The numbers a changed value is coded by (docs/protocol.md, "Changed
/// values"): a scalar is one; a `vec3` its three axes' step counts; a `quat`
/// its three smallest components, which are comparable only between values
/// with the same largest component (the same *frame*). A plain value, so a
/// `FieldCoding` carries it for free.
public struct ValueComponents: Sendable, Equatable {
    enum Layout: Sendable { case scalar, vec3, quat }

    let layout: Layout
    /// 1 for scalars, 3 for vec3 and quat.
    let count: Int
    private let shifts: SIMD3<Int64>
    private let widths: SIMD3<Int>
    private let lowers: SIMD3<Int64>
    private let uppers: SIMD3<Int64>

    /// Components wider than this are predicted as their baseline value, so
    /// a prediction's product stays below 2^44 (exact in a double, for
    /// JavaScript decoders): differences are below 2^32, tick gaps at most
    /// `PredictionGaps.maxAhead`.
    public static let maxPredictedBits = 32

    /// The components of values of quantizer `q`, whose full width is `width`.
    @inline(__always)
    init(_ q: Quantizer, width: Int) {
        switch q.kind {
        case .vec3:
            layout = .vec3; count = 3
            shifts = [0, Int64(q.shiftY), Int64(q.shiftZ)]
            widths = [q.shiftY, q.shiftZ - q.shiftY, width - q.shiftZ]
            lowers = [0, 0, 0]
            uppers = [q.stepsX, q.stepsY, q.stepsZ]
        case .quat:
            layout = .quat; count = 3
            shifts = [2, 2 + Int64(q.bits), 2 + 2 * Int64(q.bits)]
            widths = [q.bits, q.bits, q.bits]
            lowers = [0, 0, 0]
            let top = (Int64(1) << q.bits) - 1
            uppers = [top, top, top]
        default:
            layout = .scalar; count = 1
            shifts = [0, 0, 0]
            widths = [width, 0, 0]
            lowers = [q.lower, 0, 0]
            uppers = [q.upper, 0, 0]
        }
    }

    @inline(__always) func width(_ c: Int) -> Int { widths[c] }
    @inline(__always) func lower(_ c: Int) -> Int64 { lowers[c] }
    @inline(__always) func upper(_ c: Int) -> Int64 { uppers[c] }

    /// The components of a stored value.
    @inline(__always)
    func split(_ q: Int64) -> SIMD3<Int64> {
        switch layout {
        case .scalar: return [q, 0, 0]
        case .vec3, .quat:
            let u = UInt64(bitPattern: q)
            var out = SIMD3<Int64>()
            for c in 0..<3 {
                let mask = (UInt64(1) << UInt64(widths[c])) &- 1
                out[c] = Int64(bitPattern: (u >> UInt64(shifts[c])) & mask)
            }
            return out
        }
    }

    /// The stored value of `components`, in the frame of `frameOf` (a
    /// quat keeps its largest component's index).
    @inline(__always)
    func join(_ components: SIMD3<Int64>, frame frameOf: Int64) -> Int64 {
        switch layout {
        case .scalar: return components[0]
        case .vec3: return components[0] | components[1] << shifts[1] | components[2] << shifts[2]
        case .quat: return (frameOf & 3) | components[0] << shifts[0] | components[1] << shifts[1] | components[2] << shifts[2]
        }
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
        let prior = split(reference.prior)
        var out = base
        for c in 0..<count where widths[c] <= Self.maxPredictedBits {
            let step = (base[c] - prior[c]) * gaps.ahead / gaps.behind
            out[c] = min(max(base[c] + step, lowers[c]), uppers[c])
        }
        return out
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
