/// Finds the line where a declaration sits in a game's source.
///
/// Lua tables do not remember where they were written, so schema errors are
/// located by reading the source: the first line that assigns the section
/// (`state`), then the first after it that assigns the kind (`ship`), then the
/// field (`x`), written `x =`, `["x"] =` or `function game.x(`. This is a best effort that fits how games are written; when a
/// name cannot be found the nearest enclosing line is used.
public struct SourceLocator {
    let chunkName: String
    private let lines: [Substring]

    public init(source: String, chunkName: String) {
        self.chunkName = chunkName
        lines = source.split(separator: "\n", omittingEmptySubsequences: false)
    }

    /// `chunk:line` for a path such as `["state", "ship", "x"]`.
    func location(of path: [String]) -> String {
        var line = 0
        var found = false
        for name in path {
            if let next = (line..<lines.count).first(where: { assigns(lines[$0], name) }) {
                line = next
                found = true
            }
        }
        return "\(chunkName):\(found ? line + 1 : 1)"
    }

    /// `chunk:line` of the first line that assigns `name` (`name =`,
    /// `["name"] =`), or nil when no line does: bots' warnings point at the
    /// line that wrote a misspelled field.
    public func location(ofAssignment name: String) -> String? {
        lines.indices.first { assigns(lines[$0], name) }.map { "\(chunkName):\($0 + 1)" }
    }

    private func assigns(_ line: Substring, _ name: String) -> Bool {
        let code = line.split(separator: "--", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        // `function game.leave(match, player)` assigns `leave` too.
        if code.drop(while: { $0 == " " || $0 == "\t" }).hasPrefix("function "),
           code.contains(".\(name)(") || code.contains(".\(name) (") || code.contains(":\(name)(") {
            return true
        }
        for bracketed in ["[\"\(name)\"]", "['\(name)']"] {
            if let range = code.range(of: bracketed),
               code[range.upperBound...].drop(while: { $0 == " " || $0 == "\t" }).first == "=" {
                return true
            }
        }
        var search = code.startIndex
        while let range = code[search...].range(of: name) {
            let before = range.lowerBound == code.startIndex ? " " : code[code.index(before: range.lowerBound)]
            let rest = code[range.upperBound...].drop(while: { $0 == " " || $0 == "\t" })
            let boundary = !(before.isLetter || before.isNumber || before == "_")
            if boundary, rest.first == "=", rest.dropFirst().first != "=" { return true }
            search = range.upperBound
        }
        return false
    }
}
