import FuzzSupport
import Protocol

/// `ClientMessage.decode` (input, client event, ack) against the fixed
/// schema: an input of every non-string type, client events empty, with a
/// string, and of every type. What decodes must survive encode → decode
/// unchanged, and encoding it again must give the same bytes.
enum FuzzClientMessage: FuzzTarget {
    static let name = "FuzzClientMessage"

    static func check(_ input: [UInt8]) {
        let schema = Fixtures.schema
        let first: ClientMessage
        do { first = try ClientMessage.decode(input, schema: schema) } catch { return }
        let bytes = first.encode(schema: schema)
        let second: ClientMessage
        do { second = try ClientMessage.decode(bytes, schema: schema) } catch {
            FuzzFailure.report("client message decoded, but its re-encoding (\(FuzzFailure.hex(bytes))) is refused: \(error)", input: input)
        }
        guard second == first else {
            FuzzFailure.report("client message decoded as \(first), but its re-encoding decodes as \(second)", input: input)
        }
        guard second.encode(schema: schema) == bytes else {
            FuzzFailure.report("the same client message encodes two ways", input: input)
        }
    }

    /// Inputs at both ends of every range and in between, each client event,
    /// acks of the first and a far tick.
    static func seeds() -> [[UInt8]] {
        let schema = Fixtures.schema
        var rng = SplitMix64(seed: 81)
        var messages: [ClientMessage] = []
        var unused = StringTable()
        for (sequence, high) in [(1, false), (2, true)] {
            let values = schema.input.map { Fixtures.edge($0.type, high: high, strings: &unused) }
            messages.append(.input(InputMessage(sequence: UInt64(sequence), values: values)))
        }
        messages.append(.input(InputMessage(sequence: 1 << 35, values: schema.input.map { Fixtures.value($0.type, &rng, strings: &unused) })))
        for (event, set) in schema.clientEvents.enumerated() {
            var strings = StringTable()
            let values = set.fields.map { Fixtures.value($0.type, &rng, strings: &strings) }
            messages.append(.clientEvent(ClientEventMessage(event: event, values: values, strings: strings)))
        }
        messages += [.ack(AckMessage(tick: 0)), .ack(AckMessage(tick: 1_000_000_007))]
        return messages.map { $0.encode(schema: schema) }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzClientMessage.check(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

#if FUZZING
@_cdecl("FuzzClientMessage_main")
func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    FuzzCommand.libFuzzerMain(FuzzClientMessage.self, argc, argv, entry: fuzz)
}
#else
@main enum Replay {
    static func main() { FuzzCommand.replay(FuzzClientMessage.self) }
}
#endif
