import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// The thread one match runs on: an event loop of its own, never one that
/// serves sockets, HTTP, matchmaking or shutdown.
///
/// Why one per match: a Lua call that cannot be stopped (a bug in a library
/// function, say) holds only its own thread. The supervisor abandons that
/// match (`MatchDirectory.abandon`), `park()` drops the thread to the
/// scheduler's idle class so it only runs on a core nothing else wants, and
/// every other match goes on untouched on its own thread. Threads that
/// sleep between ticks cost little; the kernel spreads them over the cores.
///
/// Invariant: `retire()` is called once when the match ends normally (its
/// loop then shuts down); an abandoned thread is parked and never retired,
/// since shutting its loop down would wait for the stuck call.
final class MatchThread: Sendable {
    private let group: MultiThreadedEventLoopGroup
    let eventLoop: EventLoop
    /// Set by `retire()`: nothing more may be handed to the loop.
    private let retired = NIOLockedValueBox(false)
    /// The thread, once it has run its first task.
    private let threadID = NIOLockedValueBox<pthread_t?>(nil)
    /// Linux's `SCHED_IDLE` (<sched.h> shows it only under _GNU_SOURCE).
    private static let idleScheduling: Int32 = 5

    init() {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        eventLoop = group.next()
        let threadID = self.threadID
        eventLoop.execute { threadID.withLockedValue { $0 = pthread_self() } }
    }

    /// Runs `work` on the match's thread, unless the match has ended (then
    /// nothing runs: there is no match left to tell). Connections use this,
    /// never `eventLoop.execute`, since the loop shuts down with its match.
    func execute(_ work: @escaping @Sendable () -> Void) {
        retired.withLockedValue { retired in
            if !retired { eventLoop.execute(work) }
        }
    }

    /// `work`'s answer on the match's thread, or nil once the match has ended.
    func submit<T: Sendable>(_ work: @escaping @Sendable () throws -> T) -> EventLoopFuture<T>? {
        retired.withLockedValue { retired in retired ? nil : eventLoop.submit(work) }
    }

    /// Shuts the loop down once its current task has finished; later
    /// `execute` and `submit` calls do nothing.
    func retire() {
        let first = retired.withLockedValue { retired in
            defer { retired = true }
            return !retired
        }
        guard first else { return }
        let group = self.group
        DispatchQueue.global().async { group.shutdownGracefully { _ in } }
    }

    /// Moves the thread, stuck in a call that cannot be stopped, to the idle
    /// scheduling class: it keeps its memory (bounded by its match's cap) but
    /// takes CPU only when no other thread wants it. False if the kernel
    /// refused (the thread then keeps its share of one core).
    /// Does nothing once the thread is retired: its loop may have ended, and
    /// with it the thread (`retire` waits for this lock, so the thread lives
    /// while it is held).
    @discardableResult
    func park() -> Bool {
        retired.withLockedValue { retired in
            guard !retired, let thread = threadID.withLockedValue({ $0 }) else { return false }
            var parameters = sched_param()
            parameters.sched_priority = 0
            return pthread_setschedparam(thread, Self.idleScheduling, &parameters) == 0
        }
    }
}
