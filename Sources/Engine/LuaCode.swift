/// Lua source with only its code left: comments and the insides of strings
/// blanked to spaces, line breaks kept, so a textual lint can look for code
/// (`match:spwan(`) without being fooled by `-- match:spwan` or
/// `"match:spwan"`, and still name the line.
///
/// Short strings keep their quotes and long strings their brackets, so
/// `f"x"` still reads as a call. A best effort over valid Lua: it never
/// fails, and an unterminated string or comment runs to the end.
enum LuaCode {
    /// The code of each line of `source`, as UTF-8 bytes.
    static func lines(of source: String) -> [[UInt8]] {
        let text = Array(source.utf8)
        var out = text
        var i = 0
        func blank(_ range: Range<Int>) {
            for k in range where out[k] != UInt8(ascii: "\n") { out[k] = UInt8(ascii: " ") }
        }
        while i < text.count {
            let c = text[i]
            if c == UInt8(ascii: "-"), i + 1 < text.count, text[i + 1] == UInt8(ascii: "-") {
                let start = i
                if let level = longBracket(text, at: i + 2) {
                    i = closing(text, from: i + 2 + level + 2, level: level)
                } else {
                    while i < text.count, text[i] != UInt8(ascii: "\n") { i += 1 }
                }
                blank(start..<i)
            } else if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") {
                let start = i + 1
                i += 1
                while i < text.count, text[i] != c, text[i] != UInt8(ascii: "\n") {
                    i += text[i] == UInt8(ascii: "\\") ? 2 : 1
                }
                i = min(i, text.count)
                blank(start..<i)
                i += 1
            } else if c == UInt8(ascii: "["), let level = longBracket(text, at: i) {
                let start = i + level + 2
                i = closing(text, from: start, level: level)
                blank(start..<max(start, i - level - 2))
            } else {
                i += 1
            }
        }
        return out.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init)
    }

    /// The level of a long bracket `[==[` opening at `i` (2 here), or nil.
    private static func longBracket(_ text: [UInt8], at i: Int) -> Int? {
        guard i < text.count, text[i] == UInt8(ascii: "[") else { return nil }
        var j = i + 1
        while j < text.count, text[j] == UInt8(ascii: "=") { j += 1 }
        return j < text.count && text[j] == UInt8(ascii: "[") ? j - i - 1 : nil
    }

    /// The index just past the `]==]` of `level` that closes a long bracket
    /// whose contents start at `from`, or the end of the text.
    private static func closing(_ text: [UInt8], from: Int, level: Int) -> Int {
        var i = from
        while i < text.count {
            if text[i] == UInt8(ascii: "]") {
                var j = i + 1
                while j < text.count, text[j] == UInt8(ascii: "=") { j += 1 }
                if j < text.count, text[j] == UInt8(ascii: "]"), j - i - 1 == level { return j + 1 }
            }
            i += 1
        }
        return text.count
    }

    static func isNameByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || isDigit(byte) || byte == UInt8(ascii: "_")
    }

    static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    /// The first index at or after `from` that is not a space or tab.
    static func skipSpaces(_ line: [UInt8], from: Int) -> Int {
        var i = from
        while i < line.count, line[i] == UInt8(ascii: " ") || line[i] == UInt8(ascii: "\t") { i += 1 }
        return i
    }
}
