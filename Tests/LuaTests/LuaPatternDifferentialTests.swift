import Foundation
import Testing
@testable import Lua

/// The bounded library copies (tw_match.h, tw_strlib.h, tw_tablib.h) give the
/// same results as stock Lua 5.4: one script runs a few thousand calls
/// (fixed and random patterns, random tables) through our state and through
/// the `lua5.4` interpreter, and both transcripts must be equal, error
/// messages included. Skipped when `lua5.4` is not installed.
@Suite struct LuaPatternDifferentialTests {
    /// Returns one line per call: the call, then its results or its error.
    /// Line 1 of the body is line 1 of both chunks, so error locations agree.
    static let body = #"""
local seed = 12345
local function rnd(n) seed = (seed * 1103515245 + 12345) % 2147483648 return seed % n + 1 end
local out = {}
local function show(...)
  local r = table.pack(...)
  for i = 1, r.n do r[i] = type(r[i]) == "table" and "table" or tostring(r[i]) end
  return table.concat(r, "|", 1, r.n)
end
local function try(label, f, ...)
  out[#out + 1] = label .. " => " .. show(pcall(f, ...))
end
local atoms = { ".", "a", "b", "c", "%a", "%d", "%s", "%w", "%p", "%A", "[ab]", "[^a]", "[a-c]", "[%d)]", "%b()",
  "%f[%w]", "%f[%s]", "(", ")", "()", "%1", "^", "$", "%%", "x", "%(", "[]", "%", "%z", "[a-]" }
local suffixes = { "", "", "", "*", "+", "-", "?" }
local chars = { "a", "b", "c", "(", ")", " ", "1", "x", "%", "\0" }
local function subject() local t = {} for i = 1, rnd(21) - 1 do t[i] = chars[rnd(#chars)] end return table.concat(t) end
local function pattern() local t = {} for i = 1, rnd(5) do t[i] = atoms[rnd(#atoms)] .. suffixes[rnd(#suffixes)] end return table.concat(t) end
local fixed = { {"hello world", "o w"}, {"hello world", "(o)(r)"}, {"  trim  ", "^%s*(.-)%s*$"}, {"key=val, k2=v2", "(%w+)=(%w+)"},
  {"THE (quick) fox", "%f[%a]%a+"}, {"f(a(b)c)d", "%b()"}, {"abc", ""}, {"abc", "()"}, {"aaa", "a-"}, {"aaa", "a*"},
  {"x = 12.5e3", "[%d%.e]+"}, {"hello", "l+"}, {"[[x]]", "%[(.-)%]"}, {"abcabc", "(abc)%1"}, {"a.b", "a.b", true} }
local function patternCase(s, p, plain)
  local q = string.format("%q %q", s, p)
  try("find " .. q, string.find, s, p)
  try("find3 " .. q, string.find, s, p, rnd(7) - 3)
  try("findplain " .. q, string.find, s, p, 1, true)
  try("match " .. q, string.match, s, p)
  try("gmatch " .. q, function()
    local got, n = {}, 0
    for a, b in string.gmatch(s, p) do n = n + 1 got[n] = show(a, b) if n > 40 then break end end
    return table.concat(got, ";")
  end)
  try("gsub " .. q, string.gsub, s, p, "<%0>")
  try("gsub1 " .. q, string.gsub, s, p, "%1", 2)
  try("gsubf " .. q, string.gsub, s, p, function(...) return select("#", ...) .. "" end)
  try("gsubt " .. q, string.gsub, s, p, { a = "A", [""] = "E", b = false })
end
for _, c in ipairs(fixed) do patternCase(c[1], c[2]) end
for _ = 1, 400 do patternCase(subject(), pattern()) end
for _ = 1, 50 do
  local s, sep, n = subject(), chars[rnd(#chars)], rnd(6) - 2
  try(string.format("rep %q %q %d", s, sep, n), string.rep, s, n, sep)
  try(string.format("rep2 %q %d", s, n), string.rep, s, n)
end
local function array(n) local t = {} for i = 1, n do t[i] = rnd(50) end return t end
for k = 1, 120 do
  local t, n = array(rnd(90) - 1), nil
  n = #t
  try("sort " .. k, function() table.sort(t) return table.concat(t, ",") end)
  try("sortdesc " .. k, function() local u = array(n) table.sort(u, function(a, b) return a > b end) return table.concat(u, ",") end)
  try("insert " .. k, function() table.insert(t, rnd(n + 3) - 1, 7) return table.concat(t, ",") end)
  try("insertend " .. k, function() table.insert(t, 9) return table.concat(t, ",") end)
  try("remove " .. k, function() local v = table.remove(t, rnd(n + 3) - 1) return v, table.concat(t, ",") end)
  try("move " .. k, function() return table.concat(table.move(t, rnd(5), rnd(n + 2), rnd(8), {}), ",") end)
  try("moveself " .. k, function() table.move(t, rnd(5), rnd(n + 2), rnd(8)) return table.concat(t, ",") end)
  try("concat " .. k, table.concat, t, "-", rnd(5), rnd(n + 2))
  try("unpack " .. k, table.unpack, t, rnd(4) - 1, rnd(n + 2))
end
try("sortbad", table.sort, { 3, 1, 2, 5, 4, 6, 8, 7, 9, 10, 12, 11 }, function(a, b) return true end)
try("concatbad", table.concat, { 1, {}, 3 })
return table.concat(out, "\n")
"""#

    @Test func resultsEqualStockLua() throws {
        let interpreter = "/usr/bin/lua5.4"
        guard FileManager.default.isExecutableFile(atPath: interpreter) else { return }
        let ours = try run("return (function() " + Self.body + "\nend)()")
        guard case .string(let ourText) = ours else { Issue.record("our run returned \(ours)"); return }

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tw-diff-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try ("io.write((function() " + Self.body + "\nend)())").write(to: folder.appendingPathComponent("test.lua"), atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: interpreter)
        process.arguments = ["test.lua"]
        process.currentDirectoryURL = folder
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let stockText = String(decoding: data, as: UTF8.self)

        let ourLines = ourText.split(separator: "\n", omittingEmptySubsequences: false)
        let stockLines = stockText.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(ourLines.count == stockLines.count)
        #expect(ourLines.count > 4000)
        let differing = zip(ourLines, stockLines).filter { $0 != $1 }
        #expect(differing.isEmpty, "first difference: \(differing.first.map { "ours \($0.0) / stock \($0.1)" } ?? "")")
    }
}
