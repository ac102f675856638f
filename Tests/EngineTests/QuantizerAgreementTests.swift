import Testing
import TestSupport
@testable import Engine
import Lua

/// The server quantizes in C as it reads Lua; clients quantize and
/// dequantize in Swift. Both must give the same integers for every type
/// (vec3 and quat are no numbers: both give 0 here; see below).
@Suite struct QuantizerAgreementTests {
    static let types: [FieldType] = [
        .bool, .integer(bits: 8, signed: false), .integer(bits: 8, signed: true), .integer(bits: 16, signed: true),
        .integer(bits: 32, signed: false), .integer(bits: 32, signed: true), .f32,
        .fixed(min: -1024, max: 1024, step: 1.0 / 32), .fixed(min: 0, max: 1, step: 0.1), .fixed(min: -3, max: 7.5, step: 0.4),
        .angle(bits: 2), .angle(bits: 10), .angle(bits: 16), .entity(kind: nil),
        .vec3(x: .init(min: -1, max: 1, step: 0.1), y: .init(min: 0, max: 8, step: 1), z: .init(min: -5, max: 5, step: 0.25)),
        .quat(bits: 10),
    ]

    @Test(arguments: types)
    func cAndSwiftAgree(type: FieldType) {
        let swift = type.quantizer
        let c = type.luaQuantizer
        #expect(swift.lower == c.lower && swift.upper == c.upper)
        var rng = SplitMix64(seed: 11)
        var samples: [Double] = [0, -0.0, 0.5, -0.5, 1.5, -1.5, 2.5, .nan, .infinity, -.infinity, 1e300, -1e300,
                                 Double(Int32.max), Double(UInt32.max) + 1, -2 * .pi, 2 * .pi, .pi]
        for _ in 0..<5000 {
            let scale = [1.0, 10, 1000, 1e6, 1e10][Int(rng.next() % 5)]
            samples.append((Double(rng.next() % 2_000_001) / 1_000_000 - 1) * scale)
        }
        for v in samples {
            let q = swift.quantize(v)
            #expect(q == c.quantize(v), "\(type) \(v)")
            #expect(swift.dequantize(q) == c.dequantize(q) || (swift.dequantize(q).isNaN && c.dequantize(q).isNaN), "\(type) \(q)")
        }
        for i: Int64 in [Int64.min, -1 << 40, -129, -1, 0, 1, 127, 255, 65_536, 1 << 40, Int64.max] {
            #expect(swift.quantize(i) == c.quantize(i), "\(type) \(i)")
        }
    }
}

/// vec3 and quat values are Lua tables the C reader takes apart with raw
/// gets; the integers must be the ones the Swift quantizer gives for the
/// same components.
@Suite struct VectorAgreementTests {
    static let vectors: [FieldType] = [
        .vec3(x: .init(min: -10, max: 10, step: 0.5), y: .init(min: 0, max: 1, step: 0.1), z: .init(min: -3, max: 7.5, step: 0.4)),
        .vec3(x: .init(min: -1024, max: 1024, step: 1.0 / 32), y: .init(min: -1024, max: 1024, step: 1.0 / 32),
              z: .init(min: -1024, max: 1024, step: 1.0 / 32)),
        .vec3(x: .init(min: 0, max: 2_097_151, step: 1), y: .init(min: 0, max: 2_097_151, step: 1),
              z: .init(min: 0, max: 2_097_151, step: 1)),
    ]
    static let quaternions: [FieldType] = [.quat(bits: 6), .quat(bits: 10), .quat(bits: 16), .quat(bits: 20)]

    /// Components: ordinary values at several scales, and edges.
    static func component(_ rng: inout SplitMix64) -> Double {
        if rng.next() % 50 == 0 {
            return [0, -0.0, .nan, .infinity, -.infinity, 1e300, -1e300, 5e-324, 0.5, -0.5][Int(rng.next() % 10)]
        }
        let scale = [1.0, 10, 1000, 1e6][Int(rng.next() % 4)]
        return (Double(rng.next() % 2_000_001) / 1_000_000 - 1) * scale
    }

    @Test(arguments: vectors + quaternions)
    func arithmeticAgrees(type: FieldType) {
        let swift = type.quantizer
        let c = type.luaQuantizer
        #expect(swift.lower == c.lower && swift.upper == c.upper)
        var rng = SplitMix64(seed: 13)
        for _ in 0..<20_000 {
            let (x, y, z, w) = (Self.component(&rng), Self.component(&rng), Self.component(&rng), Self.component(&rng))
            if case .vec3 = type {
                #expect(swift.quantize(vector: x, y: y, z: z) == c.quantize(vector: x, y: y, z: z), "\(type) \(x) \(y) \(z)")
            } else {
                #expect(swift.quantize(quaternion: x, y: y, z: z, w: w) == c.quantize(quaternion: x, y: y, z: z, w: w),
                        "\(type) \(x) \(y) \(z) \(w)")
            }
        }
    }

    /// A Lua state with a helper that builds component tables.
    final class Tables {
        let lua: LuaState
        let idKey: LuaRef
        var stack: LuaStack { lua.stack }

        init() throws {
            lua = try LuaState()
            idKey = try lua.key("id").ref
        }

        enum Key { case name(String), item(Int) }

        /// Pushes a new table of `entries`; a nil value is left out.
        func push(_ entries: [(Key, LuaValueish)]) throws {
            try stack.pushTable()
            for (key, value) in entries {
                switch key {
                case .name(let n): try stack.push(string: n)
                case .item(let i): stack.push(i)
                }
                switch value {
                case .number(let d): stack.push(d)
                case .integer(let i): stack.push(i)
                case .text(let s): try stack.push(string: s)
                }
                try stack.rawSet(table: -3)
            }
        }

        /// Quantizes the value on top by `type` through the C reader, and pops it.
        func quantize(_ type: FieldType) -> LuaCell {
            defer { stack.pop() }
            return stack.quantize(at: -1, by: type.luaQuantizer, idKey: idKey)
        }
    }

    enum LuaValueish { case number(Double), integer(Int64), text(String) }

    @Test(arguments: vectors + quaternions)
    func tablesAgree(type: FieldType) throws {
        let tables = try Tables()
        let swift = type.quantizer
        var rng = SplitMix64(seed: 17)
        let names = ["x", "y", "z", "w"]
        for round in 0..<2000 {
            let v = (0..<4).map { _ in Self.component(&rng) }
            // Fields, array items, or a mix of both.
            let entries: [(Tables.Key, LuaValueish)] = (0..<4).map { i in
                (round % 3 == 1 || (round % 3 == 2 && i.isMultiple(of: 2)) ? .item(i + 1) : .name(names[i]), .number(v[i]))
            }
            try tables.push(entries)
            let cell = tables.quantize(type)
            // NaN and infinities are stored as a defined value but reported as wrong.
            #expect(cell.ok == v.prefix(type.isVec3 ? 3 : 4).allSatisfy(\.isFinite))
            if case .vec3 = type {
                #expect(cell.value == swift.quantize(vector: v[0], y: v[1], z: v[2]), "\(type) \(v)")
            } else {
                #expect(cell.value == swift.quantize(quaternion: v[0], y: v[1], z: v[2], w: v[3]), "\(type) \(v)")
            }
        }
    }

    @Test func tableShapes() throws {
        let tables = try Tables()
        let vector = Self.vectors[0]
        let q = vector.quantizer
        func stored(_ entries: [(Tables.Key, LuaValueish)]) throws -> Int64 {
            try tables.push(entries)
            let cell = tables.quantize(vector)
            #expect(cell.ok)
            return cell.value
        }
        // Fields win over items; a missing component is 0; so is a non-number.
        #expect(try stored([(.name("x"), .number(1)), (.item(1), .number(5)), (.item(2), .number(0.5))])
                == q.quantize(vector: 1, y: 0.5, z: 0))
        #expect(try stored([]) == q.quantize(vector: 0, y: 0, z: 0))
        #expect(try stored([(.name("y"), .text("0.5")), (.item(3), .integer(2))]) == q.quantize(vector: 0, y: 0, z: 2))
        #expect(try stored([(.name("x"), .integer(-3)), (.name("y"), .integer(1)), (.name("z"), .integer(7))])
                == q.quantize(vector: -3, y: 1, z: 7))
        // nil is 0 without complaint; other types are wrong, also 0.
        tables.stack.pushNil()
        let missing = tables.quantize(vector)
        #expect(missing.value == 0 && missing.ok)
        tables.stack.push(3.5)
        let number = tables.quantize(vector)
        #expect(number.value == 0 && !number.ok)

        let quat = FieldType.quat(bits: 10)
        let identity = quat.quantizer.quantize(quaternion: 0, y: 0, z: 0, w: 1)
        try tables.stack.push(string: "up")
        let text = tables.quantize(quat)
        #expect(text.value == identity && !text.ok)
        tables.stack.pushNil()
        let none = tables.quantize(quat)
        #expect(none.value == identity && none.ok)
        try tables.push([(.name("w"), .number(-2))])
        #expect(tables.quantize(quat).value == identity)
        try tables.push([(.item(1), .number(1)), (.name("w"), .number(1))])
        #expect(tables.quantize(quat).value == quat.quantizer.quantize(quaternion: 1, y: 0, z: 0, w: 1))
        #expect(tables.stack.top == 0)
    }
}

private extension FieldType {
    var isVec3: Bool {
        if case .vec3 = self { return true }
        return false
    }
}
