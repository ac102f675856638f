import Foundation
import Testing
@testable import Lua

/// Every way a script could run past its limit inside C code (library loops,
/// the parser, finalizers, `__close` handlers) is stopped, and the error names
/// the script's own file:line. Elapsed-time bounds are generous (5 s against
/// a 60 ms limit) so the tests pass on a loaded machine.
@Suite struct LuaSandboxLimitsTests {
    static let fast = LuaLimits(memoryBytes: 256 << 20, timeLimit: .milliseconds(60))

    /// Runs `source` as test.lua and expects it to fail on the time limit at `line`.
    func expectStopped(_ source: String, line: Int? = nil, limits: LuaLimits = fast,
                       kind: LuaError.Kind = .timeLimit, sourceLocation: SourceLocation = #_sourceLocation) {
        let start = Date()
        let error = failure(source, limits: limits)
        let elapsed = Date().timeIntervalSince(start)
        #expect(error?.kind == kind, "\(error.map { "\($0)" } ?? "no error")", sourceLocation: sourceLocation)
        if let line {
            #expect(error?.location == "test.lua:\(line)", sourceLocation: sourceLocation)
        } else {
            #expect(error?.location?.hasPrefix("test.lua:") == true, sourceLocation: sourceLocation)
        }
        #expect(elapsed < 5, "took \(elapsed) s", sourceLocation: sourceLocation)
    }

    // MARK: Loops inside C library functions

    @Test func emptyRepeatReturnsAtOnce() throws {
        #expect(try run("return string.rep('', math.maxinteger)", limits: Self.fast) == .string(""))
        #expect(try run("return ('x'):rep(0, ',') .. ('x'):rep(3, ',')", limits: Self.fast) == .string("x,x,x"))
        #expect(failure("return ('x'):rep(math.maxinteger)", limits: Self.fast)?.message.contains("too large") == true)
    }

    @Test func tableLoopsStop() {
        expectStopped("local t = {}\ntable.move({}, 1, math.maxinteger - 1, 1, t)", line: 2)
        let huge = "local t = setmetatable({}, { __len = function() return math.maxinteger - 1 end })\n"
        expectStopped(huge + "table.insert(t, 1, 0)", line: 2)
        expectStopped(huge + "table.remove(t, 1)", line: 2)
        expectStopped("""
            getmetatable("").__index = string.sub
            getmetatable("").__len = function() return math.maxinteger end
            return table.concat("abc", "", 1, math.maxinteger)
            """, line: 3)
        // All in C: __index and __newindex are library functions.
        expectStopped("""
            local t = setmetatable({}, { __len = function() return 2^31 - 2 end, __index = rawlen, __newindex = rawequal })
            table.sort(t)
            """, line: 2)
        #expect(failure("local t = setmetatable({}, { __len = function() return math.maxinteger end })\nreturn table.unpack(t)")?
            .message.contains("too many results") == true)
    }

    @Test func pathologicalPatternsStop() {
        expectStopped("local s = string.rep('a', 30000)\nreturn string.find(s, '.-.-.-.-.-.-b')", line: 2)
        expectStopped("local s = string.rep('a', 30000)\nreturn s:match('(.-)(.-)(.-)(.-)b')", line: 2)
        expectStopped("local s = string.rep('a', 20000)\nreturn s:gsub('.-.-.-%f[b]', '')", line: 2)
        expectStopped("local s = string.rep('a', 20000)\nfor m in s:gmatch('.-.-.-b') do end", line: 2)
        expectStopped("local s = string.rep('(', 1000000)\nreturn s:find('%b()')", line: 2)
        expectStopped("local s = string.rep('a', 1000000)\nreturn s:find(string.rep('a', 200000) .. 'b', 1, true)", line: 2)
        // A bracket class of a million characters, tried at every position.
        expectStopped("local s = string.rep('a', 1000000)\nreturn s:find('[' .. string.rep('b', 1000000) .. ']')", line: 2)
        let notB = "'[^' .. string.rep('b', 100000) .. ']"
        expectStopped("local s = string.rep('a', 100000)\nreturn s:find(\(notB)-c')", line: 2)
        expectStopped("local s = string.rep('a', 100000)\nreturn s:find(\(notB)*c')", line: 2)
        expectStopped("local s = string.rep('a', 1000000)\nreturn s:find('.-' .. string.rep('a', 100000) .. 'b')", line: 2)
    }

    /// A repeat is built by doubling; its steps are its bytes / 64 (120 MB here).
    @Test func hugeRepeatWithSeparatorCountsSteps() {
        let exact = LuaLimits(memoryBytes: 256 << 20, timeLimit: nil, instructionLimit: 1_000_000)
        expectStopped("local n = 1\nreturn #string.rep('a', 40000000, 'bc')", line: 2, limits: exact, kind: .instructionLimit)
    }

    @Test func sortOfALargeArrayStops() {
        let exact = LuaLimits(memoryBytes: 256 << 20, timeLimit: nil, instructionLimit: 1_000_000)
        let fill = "local t = {}\nfor i = 1, 100000 do t[i] = (i * 7919) % 100003 end\n"
        expectStopped(fill + "table.sort(t)", line: 3, limits: exact, kind: .instructionLimit)
        expectStopped(fill + "table.sort(t, function(a, b)\n  return a > b\nend)", line: 4, limits: exact, kind: .instructionLimit)
        expectStopped("local t = {}\nfor i = 1, 3000000 do t[i] = (i * 7919) % 100003 end\ntable.sort(t)\nwhile true do end")
    }

    /// utf8 functions are linear in their input, which the memory cap bounds;
    /// a loop over `utf8.codes` is script code, stopped by the hook.
    @Test func utf8OnHugeStrings() throws {
        let big = "local s = string.rep('\u{E9}', 4000000)\n"
        #expect(try run(big + "return utf8.len(s)", limits: Self.fast) == .integer(4_000_000))
        #expect(try run(big + "return utf8.offset(s, -1)", limits: Self.fast) == .integer(7_999_999))
        #expect(failure(big + "return utf8.codepoint(s, 1, -1)", limits: Self.fast)?.message.contains("string slice too long") == true)
        expectStopped(big + "while true do\n  for _, c in utf8.codes(s) do end\nend", line: 3)
    }

    // MARK: The parser

    @Test func loadOfAHugeSourceStops() throws {
        expectStopped("local src = string.rep('x = 1 ', 3000000)\nlocal f, err = load(src)\nreturn f, err", line: 2)
        // One huge piece from a reader function is parsed in slices too.
        expectStopped("local src = string.rep('x = 1 ', 3000000)\nlocal f, err = load(function() local s = src src = nil return s end)\nreturn f, err", line: 2)
        #expect(try run("local parts = { 'return ', '4', '0 + 2' }\nlocal i = 0\nreturn load(function() i = i + 1 return parts[i] end)()") == .integer(42))
        #expect(try run("local n = 0\nlocal f = load(function() n = n + 1 if n == 1 then return 'return 1' end return '' end)\nreturn f()") == .integer(1))
    }

    @Test func deeplyNestedSourceIsRefused() throws {
        let result = try run("local f, err = load(string.rep('(', 100000) .. '1' .. string.rep(')', 100000))\nreturn err", limits: Self.fast)
        guard case .string(let message) = result else { Issue.record("load succeeded: \(result)"); return }
        #expect(message.contains("C levels") || message.contains("overflow"))
    }

    @Test func deepRecursionIsAStackOverflow() {
        // Lua's own stack limit (a million slots) stops it; growing the stack
        // that far takes about 0.1 s, so the time limit here is wider.
        let error = failure("local function f(n) return 1 + f(n + 1) end\nreturn f(1)", limits: LuaLimits(timeLimit: .seconds(3)))
        #expect(error?.kind == .runtime)
        #expect(error?.message.contains("stack overflow") == true)
    }

    // MARK: Finalizers and __close

    @Test func finalizersAreRefused() throws {
        let error = failure("local t = {}\nsetmetatable(t, { __gc = function() while true do end end })", limits: Self.fast)
        #expect(error?.kind == .runtime)
        #expect(error?.location == "test.lua:2")
        #expect(error?.message == "setmetatable: __gc metamethods are not allowed (finalizers cannot be time-limited)")
        #expect(failure("setmetatable({}, { __gc = false })")?.message.contains("__gc") == true)
        #expect(try run("local mt = {} setmetatable({}, mt) mt.__gc = print collectgarbage('count') return 1") == .integer(1))
    }

    @Test func closeHandlersRunUnderTheLimit() throws {
        expectStopped("""
            local co = coroutine.create(function()
              local x <close> = setmetatable({}, { __close = function()
                while true do end
              end })
              coroutine.yield()
            end)
            coroutine.resume(co)
            return coroutine.close(co)
            """, line: 3)
        #expect(try run("""
            local closed = false
            local co = coroutine.create(function()
              local x <close> = setmetatable({}, { __close = function() closed = true end })
              coroutine.yield()
            end)
            coroutine.resume(co)
            return coroutine.close(co) and closed and coroutine.status(co) == "dead"
            """) == .boolean(true))
        #expect(failure("coroutine.close(coroutine.running())")?.message.contains("cannot close a running coroutine") == true)
    }

    // MARK: Where the error points

    @Test func errorsInsideWrapAndRequireNameTheGameFile() throws {
        expectStopped("local co = coroutine.wrap(function()\n  while true do end\nend)\nco()", line: 2)
        expectStopped("local co = coroutine.wrap(function()\n  string.rep('a', 30000):find('.-.-.-.-.-.-b')\nend)\nco()", line: 2)
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("tw-limits-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        try "local n = 0\nwhile true do n = n + 1 end".write(to: root.appendingPathComponent("loop.lua"), atomically: true, encoding: .utf8)
        let error = failure("return require('loop')", limits: Self.fast, root: root.path)
        #expect(error?.kind == .timeLimit)
        #expect(error?.location?.hasSuffix("/loop.lua:2") == true)
    }

    @Test func pcallCannotCatchTheLimit() {
        expectStopped("local ok, e = pcall(string.find, string.rep('a', 30000), '.-.-.-.-.-.-b')\nwhile true do end", line: 1)
        expectStopped("while true do\n  pcall(string.find, string.rep('a', 30000), '.-.-.-.-.-.-b')\nend", line: 2)
    }

    // MARK: Exact instruction mode

    /// The same script fails on the same step each run: `n` (how far it got)
    /// is read back after the failure and must match.
    @Test func instructionLimitLandsOnTheSameStepTwice() throws {
        let source = """
            n = 0
            local s = string.rep('a', 60)
            while true do
              n = n + 1
              s:find('.-.-b')
              table.concat({ 'a', 'b', 'c' }, ',')
            end
            """
        func progress() throws -> (LuaValue, String?) {
            let state = try LuaState(limits: LuaLimits(timeLimit: nil, instructionLimit: 2_000_000))
            try state.installSandbox(LuaSandbox(seed: 1))
            try state.load(source: source, chunkName: "test.lua")
            var location: String?
            do { try state.call(arguments: 0, results: 0) } catch { location = error.location; #expect(error.kind == .instructionLimit) }
            try state.load(source: "return n", chunkName: "read.lua")
            try state.call(arguments: 0, results: 1)
            defer { state.stack.pop() }
            return (state.stack.value(at: -1), location)
        }
        let first = try progress()
        let second = try progress()
        #expect(first.0 == second.0)
        #expect(first.1 == second.1)
        #expect(first.1 == "test.lua:5")
        guard case .integer(let n) = first.0 else { Issue.record("n is \(first.0)"); return }
        #expect(n > 10 && n < 1_000)
    }

    // MARK: Memory held by the engine

    @Test func externalBytesCountAgainstTheCap() throws {
        let state = try LuaState(limits: LuaLimits(memoryBytes: 16 << 20))
        try state.installSandbox(LuaSandbox(seed: 1))
        #expect(state.memoryLimit == 16 << 20)
        state.externalBytes = 15 << 20
        try state.load(source: "return #string.rep('x', 2 << 20)", chunkName: "m.lua")
        #expect { try state.call(arguments: 0, results: 1) } throws: { ($0 as? LuaError)?.kind == .memoryLimit }
        state.externalBytes = 0
        try state.load(source: "return #string.rep('x', 2 << 20)", chunkName: "m.lua")
        try state.call(arguments: 0, results: 1)
        #expect(state.stack.value(at: -1) == .integer(2 << 20))
        state.stack.pop()
        #expect(state.memoryUsed < 16 << 20)
    }
}
