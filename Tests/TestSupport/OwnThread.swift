import Foundation

/// Blocking work (sockets, child processes) on a thread of its own: Swift's
/// cooperative threads (and Dispatch's, which they share on Linux) are what
/// a server under test runs its async work on, and a test that blocks them
/// starves it.
public func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}
