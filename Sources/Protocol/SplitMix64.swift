/// SplitMix64: derives independent, reproducible seeds (one per match, one per
/// bot brain) from one user-given seed.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The `index`-th seed derived from `seed`, as a Lua integer.
    public static func derive(_ seed: Int64, _ index: Int) -> Int64 {
        var g = SplitMix64(seed: UInt64(bitPattern: seed) &+ UInt64(index) &* 0xD1B5_4A32_D192_ED03)
        return Int64(bitPattern: g.next())
    }
}
