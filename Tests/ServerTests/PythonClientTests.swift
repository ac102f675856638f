import Foundation
import Testing

/// A live server played by a client this project did not write: Python's
/// `websockets` package driving Tests/e2e/play.py, whose decoder follows
/// docs/protocol.md with no code shared with the Swift side.
///
/// Skipped when `python3` cannot import `websockets` 15 or later, unless
/// TICKWIRE_REQUIRE_PYTHON_E2E=1 (scripts/test sets it after installing the
/// package): then that is a failure.
@Suite struct PythonClientTests {
    static let required = ProcessInfo.processInfo.environment["TICKWIRE_REQUIRE_PYTHON_E2E"] == "1"
    /// play.py needs the asyncio client of websockets 15 or later.
    static let versionCheck = """
        import sys, websockets.asyncio.client, websockets.version
        sys.exit(int(websockets.version.version.split(".")[0]) < 15)
        """
    static let websocketsImportable: Bool = {
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        probe.arguments = ["python3", "-c", Self.versionCheck]
        probe.standardOutput = FileHandle.nullDevice
        probe.standardError = FileHandle.nullDevice
        do {
            try probe.run()
            probe.waitUntilExit()
            return probe.terminationStatus == 0
        } catch {
            return false
        }
    }()

    /// The script bounds each of its waits by 10 s; this only stops a hung run.
    static let runLimit: Duration = .seconds(90)

    static let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("e2e/play.py")

    @Test(
        .enabled(
            if: PythonClientTests.websocketsImportable || PythonClientTests.required,
            "python3 cannot import websockets 15 or later (pip install websockets, or set TICKWIRE_REQUIRE_PYTHON_E2E=1 to make this a failure)"
        ),
        .timeLimit(.minutes(2))
    )
    func pythonWebsocketsClientPlaysEcho() async throws {
        guard Self.websocketsImportable else {
            Issue.record("TICKWIRE_REQUIRE_PYTHON_E2E=1 but python3 cannot import websockets 15 or later: pip install websockets")
            return
        }
        let live = try await LiveServer()
        defer { Task { await live.stop() } }

        let (status, output) = try await Self.run(["python3", Self.script.path, live.url("")])
        #expect(status == 0, "play.py exited with \(status):\n\(output)")
        if status == 0 { print(output, terminator: "") }
    }

    /// Runs `arguments` under /usr/bin/env with stdout and stderr in one file,
    /// so the script's lines and any traceback keep their order.
    private static func run(_ arguments: [String]) async throws -> (status: Int32, output: String) {
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

        let deadline = ContinuousClock.now + runLimit
        while process.isRunning && ContinuousClock.now < deadline && !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(50))
        }
        var stopped = ""
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            stopped = Task.isCancelled ? "\n(stopped: the test was cancelled)" : "\n(stopped after \(runLimit))"
        }
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return (process.terminationStatus, output + stopped)
    }
}
