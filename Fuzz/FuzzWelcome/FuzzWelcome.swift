import FuzzSupport
import Protocol

/// `Welcome.decode` (with the schema inside). What decodes must survive
/// encode → decode unchanged, and encoding it again must give the same bytes.
enum FuzzWelcome: FuzzTarget {
    static let name = "FuzzWelcome"

    static func check(_ input: [UInt8]) {
        FuzzFailure.roundTrip(input, "welcome", decode: { try Welcome.decode($0) }, encode: { $0.encode() })
    }

    /// A player and a spectator of the rich schema, limits at both ends, and
    /// an empty schema.
    static func seeds() -> [[UInt8]] {
        let empty = GameSchema(match: FieldSet(name: "match", index: 0, fields: []), kinds: [], input: [], events: [])
        return [
            Welcome(playerID: 3, matchID: "arena-1", tickRate: 30, tick: 1000, resumeToken: "r3sume", schema: Fixtures.schema),
            Welcome(playerID: 0, matchID: "", tickRate: 1, tick: 0, schema: Fixtures.schema),
            Welcome(playerID: 255, matchID: String(repeating: "m", count: 64), tickRate: 120, tick: Int(Int32.max),
                    resumeToken: String(repeating: "é", count: 64), schema: empty),
        ].map { $0.encode() }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzWelcome.check(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

#if FUZZING
@_cdecl("FuzzWelcome_main")
func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    FuzzCommand.libFuzzerMain(FuzzWelcome.self, argc, argv, entry: fuzz)
}
#else
@main enum Replay {
    static func main() { FuzzCommand.replay(FuzzWelcome.self) }
}
#endif
