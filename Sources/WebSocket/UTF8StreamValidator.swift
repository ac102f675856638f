/// Checks UTF-8 a piece at a time, so a text message split over frames is
/// refused at the first bad byte rather than after the whole message arrived
/// (RFC 6455 §8.1 allows failing fast; Autobahn's 6.4.x cases check it).
///
/// Follows the well-formed byte sequences of the Unicode standard (table 3-7):
/// no overlong forms, no surrogates (ED A0–BF), nothing above U+10FFFF. The
/// state is the number of continuation bytes still owed and the range the
/// next one must fall in, which is narrower than 80–BF only right after
/// E0, ED, F0 and F4.
struct UTF8StreamValidator: Sendable, Equatable {
    private var owed: UInt8 = 0
    private var lower: UInt8 = 0x80
    private var upper: UInt8 = 0xBF

    init() {}

    /// True when the bytes so far end on a character boundary: only then may
    /// the text message end.
    var isAtCharacterBoundary: Bool { owed == 0 }

    /// Feeds the next bytes; false as soon as they cannot be part of UTF-8
    /// text (the validator must then not be used again).
    mutating func validate(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let count = bytes.count
        var index = 0
        while index < count {
            if owed == 0 {
                // ASCII runs are the common case: skip them a word at a time.
                while index + 8 <= count,
                    bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self) & 0x8080_8080_8080_8080 == 0
                {
                    index += 8
                }
                if index == count { break }
            }
            let byte = bytes[index]
            index += 1
            if owed > 0 {
                guard byte >= lower, byte <= upper else { return false }
                owed -= 1
                lower = 0x80
                upper = 0xBF
                continue
            }
            switch byte {
            case 0x00...0x7F: continue
            case 0xC2...0xDF: owed = 1
            case 0xE0: owed = 2; lower = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: owed = 2
            case 0xED: owed = 2; upper = 0x9F
            case 0xF0: owed = 3; lower = 0x90
            case 0xF1...0xF3: owed = 3
            case 0xF4: owed = 3; upper = 0x8F
            default: return false
            }
        }
        return true
    }
}
