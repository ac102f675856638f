import CLua
#if canImport(Glibc)
import Glibc
#endif

/// What a Swift function called from Lua answers: how many results it pushed,
/// or an error that Lua raises at the caller's line once the Swift frame has
/// returned (a `lua_error` longjmp must never cross a Swift frame).
public enum LuaCallOutcome {
    case results(Int32)
    case error(String)
}

/// A Swift closure callable from Lua. Arguments are at stack indices
/// `1...stack.top` of the calling thread.
public typealias LuaSwiftFunction = (LuaStack) -> LuaCallOutcome

final class SwiftFunctionBox {
    let body: LuaSwiftFunction
    var errorMessage: UnsafeMutablePointer<CChar>?

    init(body: @escaping LuaSwiftFunction) { self.body = body }

    func release() {
        free(errorMessage)
        errorMessage = nil
    }
}

private let swiftFunctionDispatcher: tw_swift_fn = { L, context, error, errorLength in
    let box = Unmanaged<SwiftFunctionBox>.fromOpaque(context!).takeUnretainedValue()
    switch box.body(LuaStack(L!)) {
    case .results(let count):
        return count
    case .error(let message):
        free(box.errorMessage)
        box.errorMessage = strdup(message)
        error?.pointee = UnsafePointer(box.errorMessage)
        errorLength?.pointee = box.errorMessage.map { strlen($0) } ?? 0
        return -1
    }
}

extension LuaState {
    /// Pushes a Lua function that runs `body`. The state keeps `body` alive
    /// until it closes.
    public func pushFunction(_ body: @escaping LuaSwiftFunction) throws(LuaError) {
        let box = SwiftFunctionBox(body: body)
        functions.append(box)
        let context = Unmanaged.passUnretained(box).toOpaque()
        try stack.check(tw_pushswiftfunction(L, swiftFunctionDispatcher, context))
    }
}
