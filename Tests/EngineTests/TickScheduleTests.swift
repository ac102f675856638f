import Testing
import TestSupport
@testable import Engine

/// Spends `work` of virtual time, as a tick's own cost would.
private func spend(_ work: Duration, on clock: inout VirtualClock) {
    clock.sleep(until: clock.now() + work)
}

@Suite struct TickScheduleTests {
    @Test func deadlinesAreDriftFree() {
        var clock = VirtualClock()
        var schedule = TickSchedule(tickRate: 30, start: clock.now())
        #expect(schedule.period == .nanoseconds(33_333_333))
        for n in 1...1000 {
            schedule.waitForNextTick(on: &clock)
            #expect(clock.now() == schedule.period * n, "tick \(n)")
            spend(schedule.period * 0.9, on: &clock)        // a busy tick that still fits
        }
        #expect(schedule.overruns == 0)
    }

    @Test func startsFromTheGivenOrigin() {
        var clock = VirtualClock()
        spend(.seconds(5), on: &clock)
        var schedule = TickSchedule(tickRate: 20, start: clock.now())
        schedule.waitForNextTick(on: &clock)
        #expect(clock.now() == .seconds(5) + .milliseconds(50))
    }

    @Test func lateByLessThanAPeriodCatchesUpOnTheGrid() {
        var clock = VirtualClock()
        var schedule = TickSchedule(tickRate: 10, start: .zero)
        schedule.waitForNextTick(on: &clock)                // 100 ms
        spend(.milliseconds(150), on: &clock)               // 250 ms: tick 2 (200 ms) is 50 ms late
        schedule.waitForNextTick(on: &clock)
        #expect(clock.now() == .milliseconds(250))
        schedule.waitForNextTick(on: &clock)
        #expect(clock.now() == .milliseconds(300))
        #expect(schedule.overruns == 0)
    }

    @Test func aLongStallCountsOneOverrunAndSkipsMissedDeadlines() {
        var clock = VirtualClock()
        var schedule = TickSchedule(tickRate: 10, start: .zero)
        for _ in 1...3 { schedule.waitForNextTick(on: &clock) }   // 300 ms
        spend(.milliseconds(300), on: &clock)                      // the clock jumps 3 periods: 600 ms
        var times: [Duration] = []
        for _ in 1...4 {
            schedule.waitForNextTick(on: &clock)
            times.append(clock.now())
        }
        // One tick runs at once, then the schedule is back on its grid:
        // no burst of back-to-back ticks for 400 and 500 ms.
        #expect(times == [.milliseconds(600), .milliseconds(700), .milliseconds(800), .milliseconds(900)])
        #expect(schedule.overruns == 1)
    }

    @Test func virtualClockNeverGoesBack() {
        var clock = VirtualClock()
        clock.sleep(until: .seconds(2))
        clock.sleep(until: .seconds(1))
        #expect(clock.now() == .seconds(2))
    }
}
