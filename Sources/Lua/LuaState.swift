import CLua
#if canImport(Glibc)
import Glibc
#endif

/// One Lua state, owned by one match and used from one thread at a time.
///
/// It owns the `lua_State` and the control block its counting allocator and
/// limit hook share, and closes both in `deinit`. Every allocation is counted
/// against `limits.memoryBytes`; every top-level `call` is bounded by
/// `limits.timeLimit` (through `LuaWatchdog`) and, if set, the exact
/// `limits.instructionLimit`.
public final class LuaState {
    let L: OpaquePointer
    let control: UnsafeMutablePointer<tw_control>
    public let limits: LuaLimits
    /// The main thread's stack.
    public let stack: LuaStack
    var functions: [SwiftFunctionBox] = []
    /// The sandbox's function that empties `require`'s cache (`forgetModules`).
    var moduleCacheReset: LuaRef?
    /// Chunk names too long for Lua to keep whole; see `restoringChunkNames`.
    private var longChunkNames: [String] = []
    private var watchdogToken: Int?
    #if DEBUG
    private let owner = pthread_self()
    #endif

    /// The Lua release the engine runs, e.g. "5.4.4" (replays name it: a
    /// different release may run the same rules differently).
    public static let version: String = {
        let n = Int(tw_release_num())
        return "\(n / 10000).\(n / 100 % 100).\(n % 100)"
    }()

    public init(limits: LuaLimits = LuaLimits()) throws(LuaError) {
        self.limits = limits
        control = UnsafeMutablePointer<tw_control>.allocate(capacity: 1)
        control.initialize(to: tw_control())
        control.pointee.limit = limits.memoryBytes > 0 ? limits.memoryBytes : 0
        guard let L = tw_newstate(control) else {
            control.deallocate()
            throw LuaError(kind: .memoryLimit, message: "cannot create a Lua state within \(limits.memoryBytes) bytes")
        }
        self.L = L
        stack = LuaStack(L)
        try stack.check(tw_openlibs(L))
        try stack.check(tw_intern_components(L, control))
        if let time = limits.timeLimit {
            watchdogToken = LuaWatchdog.shared.register(state: L, control: control, limit: time)
        }
    }

    deinit {
        if let watchdogToken { LuaWatchdog.shared.unregister(watchdogToken) }
        lua_close(L)
        control.deallocate()
        for box in functions { box.release() }
    }

    /// Debug builds check that a state is only used by the thread that made it.
    @inline(__always)
    func assertOwned() {
        #if DEBUG
        precondition(pthread_equal(owner, pthread_self()) != 0, "a LuaState was used from a thread other than its owner's")
        #endif
    }

    /// Bytes Lua holds now, and the most it ever held (Lua's own bytes only,
    /// not `externalBytes`).
    public var memoryUsed: Int { control.pointee.used }
    public var memoryPeak: Int { control.pointee.peak }
    /// Bytes the engine holds on this state's behalf (e.g. the match's
    /// snapshot history). They count against `memoryLimit` with Lua's own
    /// bytes: an allocation is refused when `memoryUsed + externalBytes` would
    /// pass the cap. Negative values are stored as 0.
    public var externalBytes: Int {
        get { control.pointee.external }
        set { control.pointee.external = max(0, newValue) }
    }

    /// The cap on `memoryUsed + externalBytes`, in bytes; 0 means none.
    /// Starts at `limits.memoryBytes`.
    public var memoryLimit: Int {
        get { control.pointee.limit }
        set { control.pointee.limit = max(0, newValue) }
    }

    public func release(_ ref: LuaRef) {
        luaL_unref(L, tw_registryindex(), ref.id)
    }

    public func release(_ key: LuaKey) { release(key.ref) }

    public func key(_ name: String) throws(LuaError) -> LuaKey {
        try stack.push(string: name)
        return LuaKey(name: name, ref: try stack.ref())
    }

    // MARK: Loading and calling

    /// Compiles text source (binary chunks are refused) and pushes the function.
    /// `chunkName` is how errors name the file, e.g. `games/arena/game.lua`.
    public func load(source: String, chunkName: String) throws(LuaError) {
        assertOwned()
        if chunkName.utf8.count >= Self.luaChunkNameLimit, !longChunkNames.contains(chunkName) {
            longChunkNames.append(chunkName)
        }
        var text = source
        let name = "@" + chunkName
        let status = text.withUTF8 { buffer in
            name.withCString { cname in
                buffer.withMemoryRebound(to: CChar.self) { tw_load(L, $0.baseAddress, $0.count, cname) }
            }
        }
        guard status == LUA_OK else {
            let message = stack.string(at: -1) ?? "syntax error"
            stack.pop()
            // Inside a running call the parser's reader checks the call's
            // budget (tw_read_text), so a load can fail on a limit too.
            let fired = tw_load_active(control) != 0 && control.pointee.fired_epoch == tw_load_epoch(control)
            let kind: LuaError.Kind = control.pointee.refused != 0 ? .memoryLimit
                : fired ? (control.pointee.reason == Int32(TW_REASON_INSTRUCTIONS) ? .instructionLimit : .timeLimit)
                : .syntax
            throw restoringChunkNames(LuaError(kind: kind, raw: message))
        }
    }

    /// Calls the function below `arguments` values on the stack, leaving
    /// `results` values (or `LUA_MULTRET` with -1) in its place.
    ///
    /// Errors carry the Lua location and traceback; limit breaches become
    /// `.memoryLimit`, `.timeLimit` or `.instructionLimit`. The stack is left as
    /// it was below the function when the call fails.
    public func call(arguments: Int32, results: Int32) throws(LuaError) {
        try call(arguments: arguments, results: results, instructionLimit: limits.instructionLimit)
    }

    /// `call` with an exact instruction limit of its own for this call (nil:
    /// none), in place of `limits.instructionLimit`; the time limit still
    /// applies. A replay runs the call a recording saw stopped by the clock
    /// this way, so it stops at a point that repeats.
    public func call(arguments: Int32, results: Int32, instructionLimit: Int?) throws(LuaError) {
        assertOwned()
        let base = stack.top - arguments   // index of the function
        lua_pushcclosure(L, tw_msgh, 0)
        lua_rotate(L, base, 1)
        let instructions = Int64(clamping: instructionLimit ?? 0)
        tw_call_begin(L, control, instructions)
        let status = tw_pcall(L, arguments, results, base)
        let fired = control.pointee.fired_epoch == tw_load_epoch(control)
        let reason = control.pointee.reason
        tw_call_end(L, control)
        lua_rotate(L, base, -1)
        stack.pop()  // the message handler
        let raw: String
        if status == LUA_OK {
            guard fired else { return }
            // A limit fired, was caught (a pcall, a failed coroutine) and the
            // call still returned, e.g. `return pcall(f)` as a tail call: the
            // call fails all the same, with the limit's first error.
            lua_settop(L, base - 1)
            raw = withUnsafeBytes(of: control.pointee.fired_message) { bytes in
                String(decoding: bytes.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
        } else {
            raw = stack.string(at: -1) ?? "(error object is a \(stack.type(at: -1).name) value)"
            stack.pop()
        }
        throw restoringChunkNames(classify(status: status, raw: raw, limitFired: fired, reason: reason,
                                           instructionLimit: instructionLimit))
    }

    /// Lua keeps the last `LUA_IDSIZE - 1` bytes of a chunk name, prefixed
    /// with "...": errors from a game under a long path would lose the start
    /// of it. Locations that are such a tail of a chunk this state loaded get
    /// the whole name back.
    static let luaChunkNameLimit = 59

    private func restoringChunkNames(_ error: LuaError) -> LuaError {
        guard let location = error.location, location.hasPrefix("..."),
              let colon = location.lastIndex(of: ":") else { return error }
        let tail = location[location.index(location.startIndex, offsetBy: 3)..<colon]
        guard let full = longChunkNames.first(where: { $0.hasSuffix(tail) }) else { return error }
        return LuaError(kind: error.kind, message: error.message, location: full + location[colon...], traceback: error.traceback)
    }

    private func classify(status: Int32, raw: String, limitFired: Bool, reason: Int32, instructionLimit: Int?) -> LuaError {
        if status == LUA_ERRMEM || control.pointee.refused != 0 {
            let asked = control.pointee.refused_size
            let whereText = withUnsafeBytes(of: control.pointee.refused_where) { bytes in
                String(decoding: bytes.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            let mib = Double(memoryLimit) / 1_048_576
            var message = "memory limit of \(mib.formatted1) MiB exceeded"
            if asked > 0 { message += " (an allocation of \(asked) bytes was refused)" }
            var traceback: String?
            if status != LUA_ERRMEM { traceback = LuaError(kind: .runtime, raw: raw).traceback }
            return LuaError(kind: .memoryLimit, message: message, location: whereText.isEmpty ? nil : whereText, traceback: traceback)
        }
        if limitFired {
            let kind: LuaError.Kind = reason == Int32(TW_REASON_INSTRUCTIONS) ? .instructionLimit : .timeLimit
            let error = LuaError(kind: kind, raw: raw)
            let limit = kind == .timeLimit
                ? "\(limits.timeLimit.map { "\($0)" } ?? "")"
                : "\(instructionLimit ?? 0) instructions"
            return LuaError(kind: kind, message: "\(kind.rawValue) of \(limit) exceeded", location: error.location, traceback: error.traceback)
        }
        return LuaError(kind: .runtime, raw: raw)
    }
}

extension Double {
    var formatted1: String {
        let scaled = (self * 10).rounded() / 10
        return scaled == scaled.rounded() ? String(Int(scaled)) : String(scaled)
    }
}
