/// A JSON value whose objects keep their keys in the order they were given,
/// so the same value always renders to the same text.
///
/// Foundation's `JSONSerialization` can only make key order stable by sorting
/// keys, which loses the schema's order (and `id` first); this writer is
/// small enough to own. Output is compact (no spaces or newlines) and always
/// valid JSON (RFC 8259): strings are escaped, and numbers JSON cannot hold
/// (NaN, infinities) are written `null`, as JavaScript's `JSON.stringify`
/// writes them.
enum OrderedJSON {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([OrderedJSON])
    case object([(key: String, value: OrderedJSON)])

    /// The compact text of the value.
    var text: String {
        var out = ""
        write(to: &out)
        return out
    }

    func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let d): out += d.isFinite ? Self.number(d) : "null"
        case .string(let s): Self.quote(s, to: &out)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                item.write(to: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (i, member) in members.enumerated() {
                if i > 0 { out += "," }
                Self.quote(member.key, to: &out)
                out += ":"
                member.value.write(to: &out)
            }
            out += "}"
        }
    }

    /// A finite number as JSON writes it: whole numbers up to 2^53 without
    /// a fraction (`6`, not `6.0`), others as Swift's shortest text that
    /// reads back to the same double (`0.1`, `1e-05`, `1e+20`; all valid
    /// JSON numbers). Also used where reports show a value, so both agree.
    static func number(_ d: Double) -> String {
        if d == d.rounded(), abs(d) <= 0x1p53 { return String(Int64(d)) }
        return String(d)
    }

    /// `s` in double quotes with `"`, `\` and the control characters
    /// escaped; everything else (already valid Unicode in a Swift string)
    /// is written as it is.
    static func quote(_ s: String, to out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
