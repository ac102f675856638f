import Foundation
import Testing
@testable import Lua

@Suite struct LuaSandboxTests {
    @Test func dangerousLibrariesAreAbsent() throws {
        #expect(try run("return io == nil and os == nil and debug == nil and package == nil") == .boolean(true))
        #expect(try run("return dofile == nil and loadfile == nil and string.dump == nil") == .boolean(true))
        #expect(try run("return math.randomseed == nil") == .boolean(true))
    }

    @Test func allowedLibrariesWork() throws {
        #expect(try run("return string.format('%d-%s', 3, ('x'):rep(2))") == .string("3-xx"))
        #expect(try run("local t = {3,1,2} table.sort(t) return table.concat(t, ',')") == .string("1,2,3"))
        #expect(try run("return utf8.len('héllo')") == .integer(5))
        #expect(try run("return math.floor(math.pi)") == .integer(3))
        #expect(try run("local co = coroutine.wrap(function(a) local b = coroutine.yield(a + 1) return b * 2 end) return co(1) + co(10)") == .integer(22))
    }

    @Test func aFailedWrappedCoroutineRunsItsCloseHandlers() throws {
        let source = """
        local closed = false
        local f = coroutine.wrap(function()
          local x <close> = setmetatable({}, { __close = function() closed = true end })
          error("inside")
        end)
        local ok, err = pcall(f)
        return tostring(ok) .. " " .. tostring(closed) .. " " .. tostring(err):match("inside")
        """
        #expect(try run(source) == .string("false true inside"))
    }

    @Test func loadTakesTextOnly() throws {
        #expect(try run("return load('return 5')()") == .integer(5))
        let binary = "\u{1B}Lua"
        #expect(try run("local f, err = load(\"\(binary)T\") return err ~= nil and f == nil") == .boolean(true))
        let mode = try #require(failure("return load('return 1', 'x', 'b')"))
        #expect(mode.message.contains("only text chunks"))
        #expect(try run("local env = { y = 4 } return load('return y', 'c', 't', env)()") == .integer(4))
    }

    @Test func collectgarbageAnswersOnlyCount() throws {
        #expect(try run("return type(collectgarbage('count'))") == .string("number"))
        let error = try #require(failure("collectgarbage()"))
        #expect(error.message.contains("only collectgarbage(\"count\")"))
        #expect(error.location == "test.lua:1")
    }

    @Test func randomIsSeededAndRepeatable() throws {
        let a = try run("return { math.random(1, 1000000), math.random(1, 1000000), math.random() }")
        let b = try run("return { math.random(1, 1000000), math.random(1, 1000000), math.random() }")
        #expect(a == b)
    }

    @Test func printGoesToTheHandler() throws {
        final class Lines: @unchecked Sendable { var items: [String] = [] }
        let lines = Lines()
        let state = try LuaState()
        try state.installSandbox(LuaSandbox(seed: 1, print: { lines.items.append($0) }))
        try state.load(source: "print('a', 1, nil, true)", chunkName: "p.lua")
        try state.call(arguments: 0, results: 0)
        #expect(lines.items == ["a\t1\tnil\ttrue"])
    }

    @Test func requireResolvesOnlyInsideTheGameFolder() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("tw-require-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("lib"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        try "return { twice = function(x) return 2 * x end }".write(to: root.appendingPathComponent("lib/util.lua"), atomically: true, encoding: .utf8)
        try "return 1 +".write(to: root.appendingPathComponent("broken.lua"), atomically: true, encoding: .utf8)
        let outside = root.deletingLastPathComponent().appendingPathComponent("tw-outside-\(UUID().uuidString).lua")
        try "return 'escaped'".write(to: outside, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: outside) }
        try FileManager.default.createSymbolicLink(at: root.appendingPathComponent("link.lua"), withDestinationURL: outside)

        #expect(try run("return require('lib.util').twice(21)", root: root.path) == .integer(42))
        #expect(try run("return require('lib.util') == require('lib.util')", root: root.path) == .boolean(true))
        #expect(failure("return require('../x')", root: root.path)?.message.contains("invalid module name") == true)
        #expect(failure("return require('link')", root: root.path)?.message.contains("outside the game's folder") == true)
        #expect(failure("return require('missing')", root: root.path)?.message.contains("not found") == true)
        let syntax = try #require(failure("return require('broken')", root: root.path))
        #expect(syntax.location?.hasSuffix("broken.lua:1") == true)
        #expect(failure("return require('x')")?.message.contains("not available") == true)
    }
}
