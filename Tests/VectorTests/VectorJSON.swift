/// JSON as the vector file holds it, written and read here so every number
/// is exactly what it should be:
///
/// - objects keep their keys in the order they were built (the order
///   docs/clients.md lists them in), and compare as sets of keys;
/// - numbers are doubles. An integral number below 2⁵³ is written as an
///   integer (`-0` for negative zero), any other with Swift's shortest
///   round-trip `description` (`0.1`, `1e-06`, `1.5e+300`: all valid JSON
///   that JavaScript's `JSON.parse` reads back to the same double);
/// - non-ASCII characters are written as `\uXXXX` escapes, so the file is
///   ASCII.
///
/// Numbers compare as JavaScript's `Object.is` does: bit for bit, so `-0`
/// differs from `0`. Non-finite values never appear as numbers (the vectors
/// write them as the strings "NaN", "Infinity", "-Infinity").
enum JSON: Equatable, CustomStringConvertible {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSON])
    case object([(String, JSON)])

    static func == (a: JSON, b: JSON) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.number(let x), .number(let y)): return x.bitPattern == y.bitPattern
        case (.string(let x), .string(let y)): return x.utf8.elementsEqual(y.utf8)
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)):
            guard x.count == y.count else { return false }
            for (key, value) in x {
                guard let other = y.first(where: { $0.0 == key }), other.1 == value else { return false }
            }
            return true
        default: return false
        }
    }

    subscript(key: String) -> JSON? {
        guard case .object(let pairs) = self else { return nil }
        return pairs.first { $0.0 == key }?.1
    }

    var array: [JSON] {
        if case .array(let items) = self { return items }
        return []
    }

    var pairs: [(String, JSON)] {
        if case .object(let pairs) = self { return pairs }
        return []
    }

    var string: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    var double: Double? {
        if case .number(let d) = self { return d }
        return nil
    }

    /// An integral number (ids, ticks, sequences, sizes).
    var int: Int? { double.flatMap { Int(exactly: $0) } }

    /// A whole number below 2⁵³.
    static func integer(_ value: some BinaryInteger) -> JSON {
        precondition(value.magnitude < 1 << 53, "\(value) is not exact in a double")
        return .number(Double(value))
    }

    // MARK: Writing

    /// The text, with containers on one line each from `inlineDepth` down
    /// (the root is depth 0) and one item per line above it.
    func text(inlineDepth: Int) -> String {
        var out = ""
        write(into: &out, depth: 0, inlineDepth: inlineDepth)
        return out + "\n"
    }

    var description: String { text(inlineDepth: 0) }

    private func write(into out: inout String, depth: Int, inlineDepth: Int) {
        let broken = depth < inlineDepth
        let indent = String(repeating: "  ", count: depth + 1)
        let close = String(repeating: "  ", count: depth)
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let d): out += Self.format(d)
        case .string(let s): Self.quote(s, into: &out)
        case .array(let items):
            guard !items.isEmpty else { out += "[]"; return }
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                if broken { out += "\n" + indent }
                item.write(into: &out, depth: depth + 1, inlineDepth: inlineDepth)
            }
            out += broken ? "\n" + close + "]" : "]"
        case .object(let pairs):
            guard !pairs.isEmpty else { out += "{}"; return }
            out += "{"
            for (i, (key, value)) in pairs.enumerated() {
                if i > 0 { out += "," }
                if broken { out += "\n" + indent }
                Self.quote(key, into: &out)
                out += broken ? ": " : ":"
                value.write(into: &out, depth: depth + 1, inlineDepth: inlineDepth)
            }
            out += broken ? "\n" + close + "}" : "}"
        }
    }

    static func format(_ d: Double) -> String {
        precondition(d.isFinite, "non-finite numbers are written as strings")
        if d == 0 { return d.sign == .minus ? "-0" : "0" }
        if d.magnitude < 0x1p53, d == d.rounded(.towardZero) { return String(Int64(d)) }
        return d.description
    }

    private static func quote(_ s: String, into out: inout String) {
        out += "\""
        for unit in s.utf16 {
            switch unit {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x0A: out += "\\n"
            case 0x20..<0x7F: out.unicodeScalars.append(Unicode.Scalar(UInt8(unit)))
            default:
                let hex = String(unit, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            }
        }
        out += "\""
    }

    // MARK: Reading

    struct SyntaxError: Error, CustomStringConvertible {
        let offset: Int
        let reason: String
        var description: String { "JSON syntax error at byte \(offset): \(reason)" }
    }

    static func parse(_ bytes: [UInt8]) throws -> JSON {
        var parser = Parser(bytes: bytes)
        let value = try parser.value()
        parser.skipSpace()
        guard parser.at == bytes.count else { throw SyntaxError(offset: parser.at, reason: "text after the value") }
        return value
    }

    private struct Parser {
        let bytes: [UInt8]
        var at = 0

        mutating func skipSpace() {
            while at < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[at]) { at += 1 }
        }

        func fail(_ reason: String) -> SyntaxError { SyntaxError(offset: at, reason: reason) }

        mutating func expect(_ literal: String) throws {
            let utf8 = Array(literal.utf8)
            guard bytes.count - at >= utf8.count, Array(bytes[at..<at + utf8.count]) == utf8 else { throw fail("expected \(literal)") }
            at += utf8.count
        }

        mutating func value() throws -> JSON {
            skipSpace()
            guard at < bytes.count else { throw fail("unexpected end") }
            switch bytes[at] {
            case UInt8(ascii: "n"): try expect("null"); return .null
            case UInt8(ascii: "t"): try expect("true"); return .bool(true)
            case UInt8(ascii: "f"): try expect("false"); return .bool(false)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "["):
                at += 1
                var items: [JSON] = []
                skipSpace()
                if at < bytes.count, bytes[at] == UInt8(ascii: "]") { at += 1; return .array(items) }
                while true {
                    items.append(try value())
                    skipSpace()
                    guard at < bytes.count else { throw fail("unterminated array") }
                    if bytes[at] == UInt8(ascii: "]") { at += 1; return .array(items) }
                    try expect(",")
                }
            case UInt8(ascii: "{"):
                at += 1
                var pairs: [(String, JSON)] = []
                skipSpace()
                if at < bytes.count, bytes[at] == UInt8(ascii: "}") { at += 1; return .object(pairs) }
                while true {
                    skipSpace()
                    guard at < bytes.count, bytes[at] == UInt8(ascii: "\"") else { throw fail("expected a key") }
                    let key = try string()
                    skipSpace()
                    try expect(":")
                    pairs.append((key, try value()))
                    skipSpace()
                    guard at < bytes.count else { throw fail("unterminated object") }
                    if bytes[at] == UInt8(ascii: "}") { at += 1; return .object(pairs) }
                    try expect(",")
                }
            default:
                let start = at
                while at < bytes.count, "+-.0123456789eE".utf8.contains(bytes[at]) { at += 1 }
                // Double(String) rounds correctly, as JSON.parse does.
                guard let d = Double(String(decoding: bytes[start..<at], as: UTF8.self)), d.isFinite else {
                    at = start
                    throw fail("bad number")
                }
                return .number(d)
            }
        }

        mutating func string() throws -> String {
            at += 1
            var units: [UInt16] = []
            while true {
                guard at < bytes.count else { throw fail("unterminated string") }
                let byte = bytes[at]
                at += 1
                switch byte {
                case UInt8(ascii: "\""): return String(decoding: units, as: UTF16.self)
                case UInt8(ascii: "\\"):
                    guard at < bytes.count else { throw fail("unterminated escape") }
                    let e = bytes[at]
                    at += 1
                    switch e {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): units.append(UInt16(e))
                    case UInt8(ascii: "n"): units.append(0x0A)
                    case UInt8(ascii: "t"): units.append(0x09)
                    case UInt8(ascii: "r"): units.append(0x0D)
                    case UInt8(ascii: "b"): units.append(0x08)
                    case UInt8(ascii: "f"): units.append(0x0C)
                    case UInt8(ascii: "u"):
                        guard bytes.count - at >= 4, let unit = UInt16(String(decoding: bytes[at..<at + 4], as: UTF8.self), radix: 16) else {
                            throw fail("bad \\u escape")
                        }
                        units.append(unit)
                        at += 4
                    default: throw fail("bad escape")
                    }
                case 0..<0x20: throw fail("control character in a string")
                case 0..<0x80: units.append(UInt16(byte))
                default:
                    // Raw UTF-8 (the writer escapes it, other writers may not).
                    var end = at
                    while end < bytes.count, bytes[end] & 0xC0 == 0x80 { end += 1 }
                    units += String(decoding: bytes[at - 1..<end], as: UTF8.self).utf16
                    at = end
                }
            }
        }
    }
}

/// Lowercase hex, two digits a byte: how the vectors carry messages.
enum Hex {
    static func encode(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func decode(_ text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count / 2)
        for i in stride(from: 0, to: utf8.count, by: 2) {
            guard let hi = nibble(utf8[i]), let lo = nibble(utf8[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}
