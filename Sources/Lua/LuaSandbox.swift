import Foundation

/// What designer code may touch.
///
/// Libraries: base (no `dofile`, `loadfile`; `load` takes text only;
/// `collectgarbage` answers only "count"; `setmetatable` refuses `__gc`),
/// `string` (no `dump`), `table`, `math` (its generator seeded by `seed`,
/// `randomseed` removed), `utf8`, `coroutine`. No `io`, `os`, `debug`,
/// `package`. `print` goes to `print` below. `require("a.b")` loads `a/b.lua`
/// as text from `moduleRoot` only.
///
/// The library functions that loop in C (patterns, `string.rep`, the table
/// functions, `load` of text, `coroutine.resume`/`close`) are the bounded
/// copies in CLua (tw_strlib.h, tw_tablib.h, tw_baselib.h), installed by
/// `LuaState.init`; docs/sandbox.md lists what bounds every function.
public struct LuaSandbox {
    public var seed: Int64
    /// Folder `require` resolves in; nil disables `require`.
    public var moduleRoot: String?
    /// How chunk names show module files, e.g. "games/arena".
    public var displayRoot: String
    public var print: (String) -> Void
    /// Largest module file `require` reads.
    public var maxModuleBytes = 1 << 20
    /// Hears of every module file `require` read: its path inside
    /// `moduleRoot` (e.g. `lib/physics.lua`) and its bytes, so a recording
    /// can name what the rules were made of.
    public var moduleRead: (String, [UInt8]) -> Void = { _, _ in }

    public init(seed: Int64, moduleRoot: String? = nil, displayRoot: String? = nil, print: @escaping (String) -> Void = { _ in }) {
        self.seed = seed
        self.moduleRoot = moduleRoot
        self.displayRoot = displayRoot ?? moduleRoot ?? ""
        self.print = print
    }

    static let source = #"""
local print_line, read_module, seed = ...
local type, error, select, tostring = type, error, select, tostring
local rawload, rawcollect, concat = load, collectgarbage, table.concat
local create, resume, close, unpack, pack = coroutine.create, coroutine.resume, coroutine.close, table.unpack, table.pack
local rawpcall = pcall

math.randomseed(seed)
math.randomseed = nil
string.dump = nil
dofile, loadfile = nil, nil

load = function(chunk, name, mode, ...)
  if mode ~= nil and mode ~= "t" then error("load: only text chunks are allowed", 2) end
  return rawload(chunk, name, "t", ...)
end

collectgarbage = function(opt, ...)
  if opt == "count" then return rawcollect("count") end
  error("collectgarbage: only collectgarbage(\"count\") is allowed", 2)
end

print = function(...)
  local n, parts = select("#", ...), {}
  for i = 1, n do parts[i] = tostring((select(i, ...))) end
  print_line(concat(parts, "\t"))
end

-- coroutine.wrap over the sandbox's resume, so limits reach coroutines.
coroutine.wrap = function(f)
  local co = create(f)
  return function(...)
    local r = pack(resume(co, ...))
    if not r[1] then
      -- As stock wrap does: a coroutine that failed runs its pending
      -- __close handlers (whose error, if any, replaces the first).
      local closed, err = close(co)
      if not closed then r[2] = err end
      error(r[2], 0)
    end
    return unpack(r, 2, r.n)
  end
end

-- xpcall whose handler runs once the error has unwound, as ordinary code.
-- Lua runs a message handler where the error was raised, and for an error
-- the limit hook raised that is inside the hook, with hooks off: a handler
-- that loops there could never be stopped. (Without the debug library a
-- handler cannot look at the failed frames anyway.)
xpcall = function(f, handler, ...)
  local r = pack(rawpcall(f, ...))
  if r[1] then return unpack(r, 1, r.n) end
  local ok, handled = rawpcall(handler, r[2])
  return false, handled
end

local loaded = {}
require = function(name)
  if type(name) ~= "string" then error("require: module name must be a string", 2) end
  local value = loaded[name]
  if value ~= nil then return value end
  local source, chunk = read_module(name)
  if source == nil then error(chunk, 2) end
  local f, err = rawload(source, chunk, "t")
  if f == nil then error(err, 0) end
  value = f(name)
  if value == nil then value = true end
  loaded[name] = value
  return value
end

-- Forgets the modules required so far (a reload of the rules in place).
return function() loaded = {} end
"""#
}

extension LuaState {
    /// Runs the sandbox setup in this (fresh) state.
    public func installSandbox(_ sandbox: LuaSandbox) throws(LuaError) {
        try load(source: LuaSandbox.source, chunkName: "tickwire/sandbox")
        let printLine = sandbox.print
        try pushFunction { stack in
            printLine(stack.string(at: 1) ?? "")
            return .results(0)
        }
        try pushFunction { stack in
            switch sandbox.readModule(named: stack.string(at: 1) ?? "") {
            case .success(let (source, chunk)):
                do throws(LuaError) {
                    try stack.push(string: source)
                    try stack.push(string: chunk)
                } catch { return .error(error.summary) }
            case .failure(let message):
                stack.pushNil()
                do throws(LuaError) { try stack.push(string: message.text) } catch { return .error(error.summary) }
            }
            return .results(2)
        }
        stack.push(sandbox.seed)
        try call(arguments: 3, results: 1)
        moduleCacheReset = try stack.ref()
    }

    /// Makes the next `require` of every module read its file again: new
    /// rules loaded into a running state (a reload in place) get their
    /// modules' new versions too. Nothing without a sandbox.
    public func forgetModules() throws(LuaError) {
        guard let moduleCacheReset else { return }
        stack.push(moduleCacheReset)
        try call(arguments: 0, results: 0)
    }
}

struct ModuleLoadFailure: Error { let text: String }

extension LuaSandbox {
    /// Finds and reads a module for `require`; the second value is its chunk name.
    func readModule(named name: String) -> Result<(String, String), ModuleLoadFailure> {
        guard let root = moduleRoot else {
            return .failure(ModuleLoadFailure(text: "require: modules are not available here"))
        }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        let valid = !parts.isEmpty && parts.allSatisfy { part in
            guard let first = part.first, first.isASCII, first.isLetter || first == "_" else { return false }
            return part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
        }
        guard valid else {
            return .failure(ModuleLoadFailure(text: "require: invalid module name '\(name)' (use letters, digits, _ and dots)"))
        }
        let relative = parts.joined(separator: "/") + ".lua"
        let rootURL = URL(fileURLWithPath: root).standardizedFileURL.resolvingSymlinksInPath()
        let fileURL = rootURL.appendingPathComponent(relative).resolvingSymlinksInPath()
        guard fileURL.path.hasPrefix(rootURL.path + "/") else {
            return .failure(ModuleLoadFailure(text: "require: module '\(name)' is outside the game's folder"))
        }
        guard let data = FileManager.default.contents(atPath: fileURL.path) else {
            return .failure(ModuleLoadFailure(text: "require: module '\(name)' not found (looked for \(displayRoot)/\(relative))"))
        }
        guard data.count <= maxModuleBytes else {
            return .failure(ModuleLoadFailure(text: "require: module '\(name)' is larger than \(maxModuleBytes) bytes"))
        }
        moduleRead(relative, [UInt8](data))
        return .success((String(decoding: data, as: UTF8.self), "@\(displayRoot)/\(relative)"))
    }
}
