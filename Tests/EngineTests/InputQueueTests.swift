import Testing
import TestSupport
@testable import Engine

/// Pops everything waiting, as (values, sequence) pairs.
private func drain(_ queue: inout InputQueue) -> [([Int64], UInt32)] {
    var out: [([Int64], UInt32)] = []
    var values: [Int64] = []
    while queue.pop({ values = Array($0) }) { out.append((values, queue.lastTakenSequence)) }
    return out
}

@Suite struct InputQueueTests {
    @Test func popsInArrivalOrder() {
        var q = InputQueue(width: 2, capacity: 4)
        #expect(!q.pop { _ in Issue.record("an empty queue called its body") })
        q.push([1, 2], sequence: 10)
        q.push([3, 4], sequence: 11)
        #expect(q.count == 2)
        let taken = drain(&q)
        #expect(taken.map(\.0) == [[1, 2], [3, 4]])
        #expect(taken.map(\.1) == [10, 11])
        #expect(q.count == 0 && q.dropped == 0)
        #expect(q.lastTakenSequence == 11)
    }

    @Test func fullQueueDropsTheOldest() {
        var q = InputQueue(width: 1, capacity: 3)
        for i in 1...7 { q.push([Int64(i)], sequence: UInt32(i)) }
        #expect(q.count == 3)
        #expect(q.dropped == 4)
        #expect(drain(&q).map(\.0) == [[5], [6], [7]])      // the latest intent gets through
    }

    @Test func wrapsAroundWithoutMixingInputs() {
        var q = InputQueue(width: 3, capacity: 4)
        var expected: [[Int64]] = []
        var got: [[Int64]] = []
        for i in 0..<50 {
            let input = [Int64(i), Int64(-i), Int64(i * 7)]
            q.push(input, sequence: UInt32(i))
            expected.append(input)
            if i % 3 != 0 { got += drain(&q).map(\.0) }    // sometimes let two or three pile up
        }
        got += drain(&q).map(\.0)
        #expect(got == expected)
        #expect(q.dropped == 0)
    }

    @Test func zeroWidthInputsStillCount() {
        var q = InputQueue(width: 0, capacity: 2)
        for s in 1...3 { q.push([], sequence: UInt32(s)) }
        #expect(q.dropped == 1)
        let taken = drain(&q)
        #expect(taken.map(\.1) == [2, 3])
        #expect(taken.allSatisfy { $0.0.isEmpty })
    }

    @Test func removeAllEmptiesButKeepsCounting() {
        var q = InputQueue(width: 1, capacity: 2)
        for i in 1...3 { q.push([Int64(i)], sequence: UInt32(i)) }
        q.removeAll()
        #expect(q.count == 0)
        #expect(q.dropped == 1)
        #expect(!q.pop { _ in })
        q.push([9], sequence: 9)
        #expect(drain(&q).map(\.0) == [[9]])
    }
}
