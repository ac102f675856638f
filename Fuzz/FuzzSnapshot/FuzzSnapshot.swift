import FuzzSupport
import Protocol

/// `SnapshotMessage.decode` (with `SnapshotDelta.decode` inside) against the
/// fixed schema of every field type, the fixed baseline at tick 1000 and the
/// prior at tick 998 that predictions start from.
/// What decodes must be a well-formed state, must survive encode → decode
/// unchanged (from the same baseline, events for everyone), and encoding
/// that state again must give the same bytes.
enum FuzzSnapshot: FuzzTarget {
    static let name = "FuzzSnapshot"

    static func check(_ input: [UInt8]) {
        let coding = Fixtures.coding, baseline = Fixtures.baseline, prior = Fixtures.prior
        let first: SnapshotMessage.Decoded
        do { first = try SnapshotMessage.decode(input, baseline: baseline, prior: prior, coding: coding) } catch { return }
        if let problem = SnapshotChecks.violation(first.snapshot, coding: coding) {
            FuzzFailure.report("snapshot decoded to an invalid state: \(problem)", input: input)
        }
        let base = first.baselineTick == nil ? nil : baseline
        let before = first.priorTick == nil ? nil : prior
        let bytes = SnapshotMessage.encode(from: base, prior: before, to: first.snapshot, lastInput: first.lastInput, audience: .everyone, coding: coding)
        let second: SnapshotMessage.Decoded
        do { second = try SnapshotMessage.decode(bytes, baseline: baseline, prior: prior, coding: coding) } catch {
            FuzzFailure.report("snapshot decoded, but its re-encoding (\(FuzzFailure.hex(bytes))) is refused: \(error)", input: input)
        }
        guard second.baselineTick == first.baselineTick, second.priorTick == first.priorTick, second.lastInput == first.lastInput else {
            FuzzFailure.report("re-encoded header differs: baseline \(String(describing: second.baselineTick)) vs \(String(describing: first.baselineTick)), "
                + "last input \(second.lastInput) vs \(first.lastInput)", input: input)
        }
        if let difference = SnapshotChecks.difference(first.snapshot, second.snapshot, coding: coding) {
            FuzzFailure.report("snapshot decoded, but its re-encoding decodes differently: \(difference)", input: input)
        }
        let again = SnapshotMessage.encode(from: base, prior: before, to: second.snapshot, lastInput: second.lastInput, audience: .everyone, coding: coding)
        guard again == bytes else {
            FuzzFailure.report("the same state encodes two ways: \(FuzzFailure.hex(bytes)) and \(FuzzFailure.hex(again))", input: input)
        }
    }

    /// Full snapshots and deltas from the baseline: entities removed, added,
    /// changed a little or a lot, an id reused with another kind, events
    /// broadcast and private, and every audience.
    static func seeds() -> [[UInt8]] {
        let coding = Fixtures.coding, baseline = Fixtures.baseline
        var rng = SplitMix64(seed: 42)
        let kept = baseline.entities.map { ($0.id, Int($0.kind)) }
        let quiet = Fixtures.state(&rng, tick: 1001, entities: kept, previous: baseline, churn: 0.05, events: 1)
        let busy = Fixtures.state(&rng, tick: 1003, entities: kept.filter { $0.0 % 2 == 1 } + [(4, 2), (6, 0), (41, 1), (2_000_000, 2)],
                                  previous: baseline, churn: 0.5, events: 4)
        let reused = Fixtures.state(&rng, tick: 1010, entities: kept.map { $0.0 == 5 ? (5, 0) : $0 }, previous: baseline, churn: 0.2, events: 2)
        let unchanged = Snapshot(tick: 1001, match: baseline.match, entities: baseline.entities, values: baseline.values,
                                 events: [], strings: baseline.strings)
        let bare = Fixtures.state(&rng, tick: 0, entities: [], previous: nil, churn: 1, events: 0)
        // Every entity of a kind changes the same fields, by a step: masks
        // repeat and values go as deltas.
        let ship = Fixtures.schema.kinds[2].fields
        let stepped = ship.indices.filter { ["u8", "heading", "fixed"].contains(ship[$0].name) }
        var values = baseline.values
        for e in baseline.entities {
            for f in e.kind == 0 ? [0] : e.kind == 2 ? stepped : [] {
                let type = Fixtures.schema.kinds[Int(e.kind)].fields[f].type
                let q = values[Int(e.offset) + f]
                values[Int(e.offset) + f] = q == type.range.upperBound ? q - 1 : q + 1
            }
        }
        let stepping = Snapshot(tick: 1002, match: baseline.match, entities: baseline.entities, values: values,
                                events: [], strings: baseline.strings)
        return [
            SnapshotMessage.encode(from: nil, to: baseline, audience: .everyone, coding: coding),
            SnapshotMessage.encode(from: nil, to: busy, lastInput: 7, audience: .player(2), coding: coding),
            SnapshotMessage.encode(from: nil, to: bare, audience: .spectator, coding: coding),
            SnapshotMessage.encode(from: baseline, to: unchanged, lastInput: 1, audience: .everyone, coding: coding),
            SnapshotMessage.encode(from: baseline, to: quiet, lastInput: 300, audience: .everyone, coding: coding),
            SnapshotMessage.encode(from: baseline, to: stepping, lastInput: 301, audience: .everyone, coding: coding),
            SnapshotMessage.encode(from: baseline, to: busy, lastInput: 1 << 40, audience: .everyone, coding: coding),
            SnapshotMessage.encode(from: baseline, to: busy, audience: .spectator, coding: coding),
            SnapshotMessage.encode(from: baseline, to: reused, audience: .player(7), coding: coding),
            // Predicted from the prior: steady steps go as prediction modes.
            SnapshotMessage.encode(from: baseline, prior: Fixtures.prior, to: stepping, lastInput: 302, audience: .everyone, coding: coding),
            SnapshotMessage.encode(from: baseline, prior: Fixtures.prior, to: quiet, lastInput: 303, audience: .everyone, coding: coding),
            SnapshotMessage.encode(from: baseline, prior: Fixtures.prior, to: busy, lastInput: 304, audience: .everyone, coding: coding),
        ]
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzSnapshot.check(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

#if FUZZING
@_cdecl("FuzzSnapshot_main")
func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    FuzzCommand.libFuzzerMain(FuzzSnapshot.self, argc, argv, entry: fuzz)
}
#else
@main enum Replay {
    static func main() { FuzzCommand.replay(FuzzSnapshot.self) }
}
#endif
