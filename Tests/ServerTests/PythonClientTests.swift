import Foundation
import Testing
import TestSupport

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

    static let script = PythonScript.e2e("play.py")

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

        let (status, output) = try await PythonScript.run(["python3", Self.script.path, live.url("")], limit: Self.runLimit)
        #expect(status == 0, "play.py exited with \(status):\n\(output)")
        if status == 0 { print(output, terminator: "") }
    }
}
