import Testing
import TestSupport
@testable import Engine

/// A snapshot of `tick` with nothing in it but its tick.
private func snapshot(_ tick: Int) -> Snapshot {
    Snapshot(tick: tick, match: [Int64(tick)], entities: [], values: [], events: [], strings: .init())
}

private func ring(capacity: Int, ticks: some Sequence<Int>) -> SnapshotRing {
    var ring = SnapshotRing(capacity: capacity)
    for t in ticks { ring.append(snapshot(t)) }
    return ring
}

@Suite struct SnapshotRingTests {
    @Test func emptyRingHoldsNothing() {
        let empty = SnapshotRing(capacity: 4)
        #expect(empty.latest == nil)
        #expect(empty.snapshot(tick: 0) == nil)
        #expect(SnapshotRing().capacity == 64)
    }

    @Test func keepsTheLastCapacityTicks() {
        let r = ring(capacity: 4, ticks: 0...9)
        #expect(r.latest?.tick == 9)
        for t in 6...9 { #expect(r.snapshot(tick: t)?.match == [Int64(t)]) }
        for t in [0, 5, 10, 13, -1, -4] { #expect(r.snapshot(tick: t) == nil, "tick \(t)") }
    }

    @Test func aGapDoesNotAnswerForAnOlderTick() {
        // Tick 4 lands in tick 0's slot; tick 2's slot is still tick 2.
        let r = ring(capacity: 4, ticks: [0, 1, 2, 4])
        #expect(r.snapshot(tick: 0) == nil)
        #expect(r.snapshot(tick: 4)?.tick == 4)
        #expect(r.snapshot(tick: 2)?.tick == 2)
        #expect(r.snapshot(tick: 3) == nil)
        #expect(r.snapshot(tick: 8) == nil)
    }

    @Test func capacityOfOneKeepsOnlyTheLatest() {
        let r = ring(capacity: 1, ticks: 0...3)
        #expect(r.snapshot(tick: 3)?.tick == 3)
        #expect(r.snapshot(tick: 2) == nil)
    }

    @Test func matchKeepsItsConfiguredHistory() throws {
        let (match, _) = try startMatch(scriptedGame(tick: "match.n = match.tick"), MatchOptions(snapshotHistory: 8))
        for _ in 1...20 { match.step() }
        #expect(match.snapshots.capacity == 8)
        for t in 13...20 { #expect(match.snapshots.snapshot(tick: t)?.match == [Int64(t)]) }
        #expect(match.snapshots.snapshot(tick: 12) == nil)
        #expect(match.snapshots.latest?.tick == 20)
    }
}
