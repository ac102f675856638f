import Protocol

/// Helpers over the project's seeded generator, so every failure replays.
extension SplitMix64 {
    public mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }
    public mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &self) < p }
    public mutating func pick<T>(_ items: [T]) -> T { items[int(0...items.count - 1)] }
    public mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: 0...255, using: &self) } }
}

/// Random schemas that cover every field type and the spec's parameter
/// ranges, valid by construction (names sorted and unique, entity
/// references to declared kinds, inputs without strings).
public enum RandomSchema {
    public struct Sizes {
        public var kinds = 0...4
        public var fields = 0...8
        public var events = 0...3
        public var clientEvents = 0...3

        public init(kinds: ClosedRange<Int> = 0...4, fields: ClosedRange<Int> = 0...8,
                    events: ClosedRange<Int> = 0...3, clientEvents: ClosedRange<Int> = 0...3) {
            self.kinds = kinds
            self.fields = fields
            self.events = events
            self.clientEvents = clientEvents
        }
    }

    public static func make(_ rng: inout SplitMix64, sizes: Sizes = Sizes()) -> GameSchema {
        let kindNames = names(&rng, count: rng.int(sizes.kinds))
        func set(_ name: String, _ index: Int, strings: Bool = true) -> FieldSet {
            FieldSet(name: name, index: index, fields: fields(&rng, count: rng.int(sizes.fields), kinds: kindNames, strings: strings))
        }
        return GameSchema(
            match: set("match", 0),
            kinds: kindNames.enumerated().map { set($1, $0 + 1) },
            input: set("input", 0, strings: false).fields,
            events: names(&rng, count: rng.int(sizes.events)).enumerated().map { set($1, $0 + 1) },
            clientEvents: names(&rng, count: rng.int(sizes.clientEvents)).enumerated().map { set($1, $0 + 1) })
    }

    public static func fields(_ rng: inout SplitMix64, count: Int, kinds: [String], strings: Bool = true) -> [Field] {
        names(&rng, count: count).map { name in
            var type = fieldType(&rng, kinds: kinds)
            while !strings, case .string = type { type = fieldType(&rng, kinds: kinds) }
            return Field(name: name, type: type)
        }
    }

    /// Every case of `FieldType`, with parameters from the whole allowed range.
    public static func fieldType(_ rng: inout SplitMix64, kinds: [String]) -> FieldType {
        switch rng.int(0...8) {
        case 0: return .bool
        case 1: return .integer(bits: rng.pick([8, 16, 32]), signed: rng.chance(0.5))
        case 2: return .f32
        case 3:
            let a = axis(&rng, maxSteps: UInt64(UInt32.max))
            return .fixed(min: a.min, max: a.max, step: a.step)
        case 4: return .angle(bits: rng.int(2...16))
        case 5: return .string(maxBytes: rng.chance(0.2) ? rng.pick([1, 4096]) : rng.int(1...64))
        case 6: return .entity(kind: kinds.isEmpty || rng.chance(0.3) ? nil : rng.pick(kinds))
        case 7:
            // 63 bits at most in all: even, or one wide axis (beyond a fixed's 32 bits).
            let bits = rng.pick([[21, 21, 21], [41, 11, 11], [11, 51, 1], [1, 1, 1]])
            let axes = bits.map { axis(&rng, maxSteps: (1 << UInt64($0)) - 1) }
            return .vec3(x: axes[0], y: axes[1], z: axes[2])
        default: return .quat(bits: rng.int(6...20))
        }
    }

    /// A valid `fixed` range: min, a step, and 1...maxSteps whole steps.
    public static func axis(_ rng: inout SplitMix64, maxSteps: UInt64) -> FieldType.Axis {
        while true {
            let min = rng.pick([-1024.0, 0, -1, 0.5, -1e6, Double.random(in: -1e9...1e9, using: &rng)])
            let step = rng.pick([1.0 / 32, 0.1, 1, 0.001, 2.5, Double.random(in: 1e-6...1e3, using: &rng)])
            let width = 64 - maxSteps.leadingZeroBitCount
            let steps = rng.chance(0.1) ? maxSteps : UInt64.random(in: 1...Swift.min(maxSteps, 1 << UInt64(rng.int(1...width))), using: &rng)
            let a = FieldType.Axis(min: min, max: min + Double(steps) * step, step: step)
            if isValid(a, maxSteps: maxSteps) { return a }
        }
    }

    /// The spec's rule for a `fixed` range, computed independently of the reader.
    public static func isValid(_ a: FieldType.Axis, maxSteps: UInt64) -> Bool {
        guard a.min.isFinite, a.max.isFinite, a.step.isFinite, a.min < a.max, a.step > 0 else { return false }
        let steps = ((a.max - a.min) / a.step + 1e-9).rounded(.down)
        return steps.isFinite && steps >= 1 && steps <= Double(maxSteps)
    }

    /// Distinct identifiers sorted by bytes, 1...64 bytes long.
    public static func names(_ rng: inout SplitMix64, count: Int) -> [String] {
        let first = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
        let rest = first + Array("0123456789")
        var names = Set<String>()
        while names.count < count {
            let length = rng.chance(0.05) ? 64 : rng.int(1...10)
            names.insert(String(rng.pick(first)) + String((1..<length).map { _ in rng.pick(rest) }))
        }
        return sortedByBytes(names)
    }

    public static func sortedByBytes(_ names: some Sequence<String>) -> [String] {
        names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// A valid stored value of `type`; strings are appended to `strings`.
    public static func value(_ rng: inout SplitMix64, _ type: FieldType, strings: inout StringTable) -> Int64 {
        switch type {
        case .string(let max):
            return Int64(strings.append(text(&rng, maxBytes: rng.chance(0.2) ? max : rng.int(0...max))))
        case .vec3(let x, let y, let z):
            let qx = Int64.random(in: 0...x.steps, using: &rng)
            let qy = Int64.random(in: 0...y.steps, using: &rng)
            let qz = Int64.random(in: 0...z.steps, using: &rng)
            return qx | qy << Int64(x.bits) | qz << Int64(x.bits + y.bits)
        default:
            let range = type.range
            switch rng.int(0...4) {
            case 0: return range.lowerBound
            case 1: return range.upperBound
            default: return Int64.random(in: range, using: &rng)
            }
        }
    }

    /// Valid UTF-8 of at most `maxBytes` bytes, mixing 1- to 4-byte characters.
    public static func text(_ rng: inout SplitMix64, maxBytes: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        while true {
            let c = Array(rng.pick(["a", "Z", " ", "é", "€", "😀", "字"]).utf8)
            if bytes.count + c.count > maxBytes { break }
            bytes += c
        }
        return bytes
    }

    public static func values(_ rng: inout SplitMix64, _ fields: [Field], strings: inout StringTable) -> [Int64] {
        fields.map { value(&rng, $0.type, strings: &strings) }
    }
}
