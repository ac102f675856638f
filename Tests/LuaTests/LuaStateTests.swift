import Testing
@testable import Lua

/// Runs `source` as a chunk in a sandboxed state and returns its first result.
func run(_ source: String, limits: LuaLimits = LuaLimits(), root: String? = nil) throws -> LuaValue {
    let state = try LuaState(limits: limits)
    try state.installSandbox(LuaSandbox(seed: 7, moduleRoot: root))
    try state.load(source: source, chunkName: "test.lua")
    try state.call(arguments: 0, results: 1)
    defer { state.stack.pop() }
    return state.stack.value(at: -1)
}

func failure(_ source: String, limits: LuaLimits = LuaLimits(), root: String? = nil) -> LuaError? {
    do {
        _ = try run(source, limits: limits, root: root)
        return nil
    } catch let error as LuaError {
        return error
    } catch {
        return nil
    }
}

@Suite struct LuaStateTests {
    @Test func returnsValuesAndTables() throws {
        #expect(try run("return 1 + 2") == .integer(3))
        #expect(try run("return 'a' .. 'b'") == .string("ab"))
        let t = try run("return { 10, 20, x = true, y = 1.5 }")
        #expect(t[1] == .integer(10))
        #expect(t[2] == .integer(20))
        #expect(t["x"] == .boolean(true))
        #expect(t["y"] == .number(1.5))
    }

    @Test func runtimeErrorsCarryLocationAndTraceback() throws {
        let error = try #require(failure("local x = nil\nlocal function f() return x.y end\nreturn f()"))
        #expect(error.kind == .runtime)
        #expect(error.location == "test.lua:2")
        #expect(error.message.contains("attempt to index"))
        #expect(error.traceback?.contains("stack traceback") == true)
    }

    @Test func syntaxErrorsNameTheLine() throws {
        let state = try LuaState()
        #expect {
            try state.load(source: "local a = 1\nlocal b = = 2", chunkName: "games/x/game.lua")
        } throws: { error in
            let e = error as! LuaError
            return e.kind == .syntax && e.location == "games/x/game.lua:2"
        }
    }

    @Test func runawayLoopStopsAtTheTimeLimit() throws {
        let limits = LuaLimits(timeLimit: .milliseconds(50))
        let error = try #require(failure("local n = 0\nwhile true do\n  n = n + 1\nend", limits: limits))
        #expect(error.kind == .timeLimit)
        #expect(error.location?.hasPrefix("test.lua:") == true)
    }

    @Test func runawayLoopCannotHideInPcallOrCoroutines() throws {
        let limits = LuaLimits(timeLimit: .milliseconds(50))
        let viaPcall = try #require(failure("while true do pcall(function() while true do end end) end", limits: limits))
        #expect(viaPcall.kind == .timeLimit)
        let viaCoroutine = try #require(failure("""
            local co = coroutine.wrap(function() while true do end end)
            co()
            """, limits: limits))
        #expect(viaCoroutine.kind == .timeLimit)
        let viaResume = try #require(failure("""
            local co = coroutine.create(function() while true do end end)
            while true do coroutine.resume(co) end
            """, limits: limits))
        #expect(viaResume.kind == .timeLimit)
    }

    @Test func exactInstructionLimitIsDeterministic() throws {
        let limits = LuaLimits(timeLimit: nil, instructionLimit: 100_000)
        let error = try #require(failure("local n = 0\nwhile true do\n  n = n + 1\nend", limits: limits))
        #expect(error.kind == .instructionLimit)
        #expect(try run("local s = 0 for i = 1, 1000 do s = s + i end return s", limits: limits) == .integer(500500))
    }

    @Test func memoryBombStopsAtTheCap() throws {
        let limits = LuaLimits(memoryBytes: 8 << 20)
        let error = try #require(failure("local t = {}\nwhile true do\n  t[#t + 1] = { 1, 2, 3 }\nend", limits: limits))
        #expect(error.kind == .memoryLimit)
        #expect(error.location?.hasPrefix("test.lua:") == true)
        let big = try #require(failure("return string.rep('x', 1 << 30)", limits: limits))
        #expect(big.kind == .memoryLimit)
    }

    @Test func stateStaysUsableAfterAFailure() throws {
        let state = try LuaState(limits: LuaLimits(memoryBytes: 8 << 20, timeLimit: .milliseconds(50)))
        try state.installSandbox(LuaSandbox(seed: 1))
        try state.load(source: "local t = {} while true do t[#t+1] = {} end", chunkName: "a.lua")
        #expect(throws: LuaError.self) { try state.call(arguments: 0, results: 0) }
        try state.load(source: "while true do end", chunkName: "b.lua")
        #expect(throws: LuaError.self) { try state.call(arguments: 0, results: 0) }
        try state.load(source: "return 40 + 2", chunkName: "c.lua")
        try state.call(arguments: 0, results: 1)
        #expect(state.stack.value(at: -1) == .integer(42))
    }

    @Test func swiftFunctionErrorsRaiseAtTheCallersLine() throws {
        let state = try LuaState()
        try state.load(source: "local f = ...\nlocal ok = 1\nreturn f(5)", chunkName: "cb.lua")
        try state.pushFunction { stack in
            guard let n = stack.integer(at: 1), n < 3 else { return .error("too big") }
            stack.push(n * 2)
            return .results(1)
        }
        #expect {
            try state.call(arguments: 1, results: 1)
        } throws: { error in
            let e = error as! LuaError
            return e.location == "cb.lua:3" && e.message == "too big"
        }
    }
}
