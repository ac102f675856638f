import FuzzSupport
import Protocol

/// `ErrorMessage.decode`. What decodes must survive encode → decode
/// unchanged, and encoding it again must give the same bytes.
enum FuzzError: FuzzTarget {
    static let name = "FuzzError"

    static func check(_ input: [UInt8]) {
        FuzzFailure.roundTrip(input, "error message", decode: { try ErrorMessage.decode($0) }, encode: { $0.encode() })
    }

    /// Every code of the spec, an unknown one, the largest, and reasons
    /// empty, short and at the limit in multi-byte UTF-8.
    static func seeds() -> [[UInt8]] {
        [
            ErrorMessage(code: .protocolVersion, reason: "this server speaks tickwire.1"),
            ErrorMessage(code: .malformed, reason: ""),
            ErrorMessage(code: .matchFull, reason: "8 of 8 players"),
            ErrorMessage(code: .matchOver, reason: "bye"),
            ErrorMessage(code: .refused, reason: String(repeating: "€", count: 100)),
            ErrorMessage(code: .kicked, reason: "idle"),
            ErrorMessage(code: .other(0), reason: "?"),
            ErrorMessage(code: .other(UInt64.max), reason: String(repeating: "a", count: 256)),
        ].map { $0.encode() }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzError.check(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

#if FUZZING
@_cdecl("FuzzError_main")
func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    FuzzCommand.libFuzzerMain(FuzzError.self, argc, argv, entry: fuzz)
}
#else
@main enum Replay {
    static func main() { FuzzCommand.replay(FuzzError.self) }
}
#endif
