import Foundation

/// Collects log lines (the games' and bots' `print` output among them) from any thread.
public final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []

    public init() {}

    public var lines: [String] { lock.withLock { items } }
    public var sink: @Sendable (String) -> Void { { [self] line in lock.withLock { items.append(line) } } }

    /// The lines logged since the last call.
    public func drain() -> [String] { lock.withLock { defer { items = [] }; return items } }
}
