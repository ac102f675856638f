import Testing
@testable import Engine

/// Which ticks' snapshots go out: `sendRate` of every `tickRate` ticks,
/// spread evenly.
@Suite struct SendScheduleTests {
    private static func sendTicks(_ schedule: SendSchedule, through last: Int) -> [Int] {
        (1...last).filter { schedule.sends(tick: $0) }
    }

    /// Rates a client may be told (or a caller may pass) outside the range
    /// take the nearest end instead of trapping.
    @Test func ratesOutsideTheRangeTakeTheNearestEnd() {
        #expect(SendSchedule(tickRate: 60, sendRate: 0).sendRate == 1)
        #expect(SendSchedule(tickRate: 60, sendRate: -5).sendRate == 1)
        #expect(SendSchedule(tickRate: 60, sendRate: 90).sendRate == 60)
        let broken = SendSchedule(tickRate: 0, sendRate: 7)
        #expect(broken.tickRate == 1 && broken.sendRate == 1)
        #expect(broken.sends(tick: 5))
    }

    @Test func sixtyAtTwentySendsEveryThirdTick() {
        let schedule = SendSchedule(tickRate: 60, sendRate: 20)
        #expect(Self.sendTicks(schedule, through: 30) == [3, 6, 9, 12, 15, 18, 21, 24, 27, 30])
        #expect(schedule.longestGap == 3)
    }

    @Test func theTickRateSendsEveryTick() {
        for rate in [1, 30, 60, 120] {
            let schedule = SendSchedule(tickRate: rate, sendRate: rate)
            #expect(Self.sendTicks(schedule, through: 200) == Array(1...200))
            #expect(schedule.longestGap == 1)
        }
        #expect(Self.sendTicks(.everyTick, through: 50) == Array(1...50))
    }

    /// A rate that does not divide the tick rate sends exactly `sendRate`
    /// times per second, with gaps of ⌊t/s⌋ or ⌈t/s⌉ ticks.
    @Test func otherRatesAreSpreadEvenly() {
        for tickRate in [7, 30, 60, 120] {
            for sendRate in 1...tickRate {
                let schedule = SendSchedule(tickRate: tickRate, sendRate: sendRate)
                let ticks = Self.sendTicks(schedule, through: 3 * tickRate)
                #expect(ticks.count == 3 * sendRate, "\(sendRate) of \(tickRate)")
                let gaps = Set(zip(ticks, ticks.dropFirst()).map { $1 - $0 })
                #expect(gaps.isSubset(of: [tickRate / sendRate, schedule.longestGap]), "\(sendRate) of \(tickRate): \(gaps)")
                #expect(gaps.max() == schedule.longestGap || ticks.count < 2, "\(sendRate) of \(tickRate)")
            }
        }
        #expect(Self.sendTicks(SendSchedule(tickRate: 60, sendRate: 25), through: 12) == [3, 5, 8, 10, 12])
    }

    @Test func sendsBetweenTwoTicksCountsTheOnesInBetween() {
        for (tickRate, sendRate) in [(60, 20), (60, 25), (60, 60), (30, 7), (120, 1)] {
            let schedule = SendSchedule(tickRate: tickRate, sendRate: sendRate)
            for a in 0...40 {
                for b in a...a + 150 {
                    let expected = b > a + 1 ? (a + 1..<b).count { schedule.sends(tick: $0) } : 0
                    #expect(schedule.sends(between: a, and: b) == expected, "\(sendRate) of \(tickRate), \(a)..\(b)")
                }
            }
        }
    }
}
