import Testing
import TestSupport
@testable import Engine
import Lua

/// The lists editor files and the lint rely on are what the engine installs.
@Suite struct RulesEnvironmentTests {
    @Test func matchMethodsAreThePreludesMethods() throws {
        let log = LogLines()
        let (match, _) = try startMatch(scriptedGame(tick: """
            local names = {}
            for name in pairs(getmetatable(match).__index) do names[#names + 1] = name end
            table.sort(names)
            print(table.concat(names, " "))
            local own = {}
            for name in pairs(match) do own[#own + 1] = name end
            table.sort(own)
            print(table.concat(own, " "))
            """), scriptOptions(log: log))
        match.step()
        #expect(log.lines.first == RulesEnvironment.matchMethods.joined(separator: " "))
        // The engine's fields, and the declared match field `n` once set.
        #expect(log.lines.dropFirst().first == RulesEnvironment.matchEngineFields.joined(separator: " "))
        #expect(Set(RulesEnvironment.matchMethods + RulesEnvironment.matchEngineFields) == GameSchema.reservedMatchFields)
    }

    @Test func sandboxGlobalsAreWhatTheSandboxLeaves() throws {
        let globals = try RulesEnvironment.sandboxGlobals()
        let byName = Dictionary(globals.map { ($0.name, $0.fields) }, uniquingKeysWith: { a, _ in a })
        for absent in ["io", "os", "debug", "package", "dofile", "loadfile"] {
            #expect(byName[absent] == nil, "\(absent) is not in the sandbox")
        }
        for present in ["print", "require", "pairs", "setmetatable", "load", "_G", "_VERSION"] {
            #expect(byName[present] == [], "\(present)")
        }
        #expect(byName["string"]?.contains("format") == true)
        #expect(byName["string"]?.contains("dump") == false)
        #expect(byName["math"]?.contains("random") == true)
        #expect(byName["math"]?.contains("randomseed") == false)
        #expect(byName["table"]?.contains("remove") == true)
        #expect(globals.map(\.name) == globals.map(\.name).sorted())
    }
}
