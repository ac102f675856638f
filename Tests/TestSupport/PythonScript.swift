import Foundation

/// The repository's Python scripts (Tests/e2e/), run as a test runs any
/// other program: python3 from PATH, with stdout and stderr in one log so
/// the script's lines and any traceback keep their order.
public enum PythonScript {
    /// Tests/e2e/`name`, found from this source file.
    public static func e2e(_ name: String) -> URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("e2e").appendingPathComponent(name)
    }

    /// Runs `arguments` under /usr/bin/env and returns its exit status and
    /// output. A run still going after `limit` is stopped (a script bounds
    /// its own waits; this only ends a hung one), as is one whose test is
    /// cancelled; the output then says so.
    public static func run(_ arguments: [String], limit: Duration) async throws -> (status: Int32, output: String) {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("tw-python-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        let handle = try FileHandle(forWritingTo: log)
        defer { try? handle.close() }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONUNBUFFERED"] = "1"
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = handle
        process.standardError = handle
        try process.run()

        let deadline = ContinuousClock.now + limit
        while process.isRunning && ContinuousClock.now < deadline && !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(50))
        }
        var stopped = ""
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            stopped = Task.isCancelled ? "\n(stopped: the test was cancelled)" : "\n(stopped after \(limit))"
        }
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return (process.terminationStatus, output + stopped)
    }
}
