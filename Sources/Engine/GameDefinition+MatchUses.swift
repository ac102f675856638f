import Lua

/// Uses of the `match` object in `game.lua` that cannot work: a method it
/// does not have (`match:spwan(...)`, an error only when that line runs,
/// perhaps minutes into a match), a method called with `.` (`match.spawn(...)`
/// passes no `match`), or a field one slip away from a real one
/// (`match.tikc`).
///
/// The source is read, not run: the parameter is called `match` by
/// convention (every callback receives it first), so only that name is
/// looked at, in code outside comments and strings. A field that is not
/// near any known name is taken as the rules' own and left alone.
extension GameDefinition {
    /// One use of `match.NAME` or `match:NAME` in the source.
    struct MatchUse: Equatable {
        /// 1-based.
        let line: Int
        /// `:` or `.`.
        let separator: Character
        let name: String
        /// Followed by `(`, `{` or a string: called.
        let isCall: Bool
    }

    /// Warnings about uses of `match`, each "file:line: warning: …".
    static func lintMatchUses(source: String, chunkName: String, matchFields: [String]) -> [String] {
        let methods = RulesEnvironment.matchMethods
        let fields = RulesEnvironment.matchEngineFields + matchFields
        var warnings: [String] = []
        var seen = Set<String>()
        for use in matchUses(in: source) {
            let at = "\(chunkName):\(use.line): warning: "
            let warning: String?
            switch (use.separator, use.isCall) {
            case (":", _) where !methods.contains(use.name):
                warning = at + "match has no method \(use.name) (\(Self.methodHint(use.name, fields: fields)))"
            case (".", true) where methods.contains(use.name):
                warning = at + "match.\(use.name)(...) calls \(use.name) without the match: write match:\(use.name)(...)"
            case (".", _) where !methods.contains(use.name) && !fields.contains(use.name):
                // Only a near miss: other names are the rules' own fields.
                let near = likelyMeant(use.name, among: fields + methods, partsToo: false)
                warning = near.map { at + "match.\(use.name) is not a field of match (did you mean match\(methods.contains($0) ? ":" : ".")\($0)?)" }
            default:
                warning = nil
            }
            if let warning, seen.insert(warning).inserted { warnings.append(warning) }
        }
        return warnings
    }

    /// "did you mean match:spawn?", or the list of methods when none is near.
    private static func methodHint(_ name: String, fields: [String]) -> String {
        let methods = RulesEnvironment.matchMethods
        if let meant = likelyMeant(name, among: methods) { return "did you mean match:\(meant)?" }
        if fields.contains(name) { return "match.\(name) is a field, not a method" }
        return "its methods are \(methods.joined(separator: ", "))"
    }

    /// The hint for a Lua error raised by calling a method `match` lacks, as
    /// in "attempt to call a nil value (method 'spwan')", when its line of
    /// game.lua shows the call on `match` ("did you mean match:spawn?"); nil
    /// for any other error.
    func matchMethodHint(for error: LuaError) -> String? {
        guard error.kind == .runtime, let location = error.location, location.hasPrefix(chunkName + ":"),
              let line = Int(location.dropFirst(chunkName.count + 1)) else { return nil }
        for form in ["method", "field"] {
            let prefix = "attempt to call a nil value (\(form) '"
            guard error.message.hasPrefix(prefix), error.message.hasSuffix("')") else { continue }
            let name = String(error.message.dropFirst(prefix.count).dropLast(2))
            let onMatch = Self.matchUses(in: source).contains { $0.line == line && $0.name == name && $0.isCall }
            guard onMatch, !RulesEnvironment.matchMethods.contains(name) else { return nil }
            return Self.methodHint(name, fields: RulesEnvironment.matchEngineFields + schema.match.fields.map(\.name))
        }
        return nil
    }

    /// Every `match.NAME` and `match:NAME` in code, in source order; `match`
    /// as a field of something else (`self.match`) and function names
    /// (`function match.helper`) are not uses.
    static func matchUses(in source: String) -> [MatchUse] {
        var uses: [MatchUse] = []
        let word = Array("match".utf8)
        for (index, line) in LuaCode.lines(of: source).enumerated() {
            var i = 0
            while i + word.count < line.count {
                guard line[i..<(i + word.count)].elementsEqual(word),
                      i == 0 || !LuaCode.isNameByte(line[i - 1]) && line[i - 1] != UInt8(ascii: ".") && line[i - 1] != UInt8(ascii: ":")
                else { i += 1; continue }
                var j = LuaCode.skipSpaces(line, from: i + word.count)
                guard j < line.count, line[j] == UInt8(ascii: ".") || line[j] == UInt8(ascii: ":"),
                      j + 1 >= line.count || line[j + 1] != UInt8(ascii: ".") else { i += word.count; continue }
                let separator = Character(UnicodeScalar(line[j]))
                j = LuaCode.skipSpaces(line, from: j + 1)
                let start = j
                while j < line.count, LuaCode.isNameByte(line[j]) { j += 1 }
                let before = line[..<i].split(separator: UInt8(ascii: " ")).last.map { String(decoding: $0, as: UTF8.self) }
                if j > start, !LuaCode.isDigit(line[start]), before != "function" {
                    let next = LuaCode.skipSpaces(line, from: j)
                    let isCall = next < line.count && [UInt8(ascii: "("), UInt8(ascii: "{"), UInt8(ascii: "\""), UInt8(ascii: "'")].contains(line[next])
                    uses.append(MatchUse(line: index + 1, separator: separator, name: String(decoding: line[start..<j], as: UTF8.self), isCall: isCall))
                }
                i = max(j, i + word.count)
            }
        }
        return uses
    }
}
