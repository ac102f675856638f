import Foundation
import Testing
import TestSupport

/// The shared vectors against a decoder this project did not write in
/// Swift: Tests/e2e/vectors.py runs every session through the Python
/// client of Tests/e2e/ (wire.py, written from docs/protocol.md alone),
/// as ProtocolVectorTests does through Swift's and Tests/browser/vectors.js
/// through the JavaScript SDK's. Standard library only, so python3 is all
/// it needs.
@Suite struct PythonVectorTests {
    /// The script takes about a second; this only stops a hung run.
    static let runLimit: Duration = .seconds(60)

    @Test(.disabled(if: ProtocolVectorTests.writing, "the file is being written"), .timeLimit(.minutes(2)))
    func pythonDecoderReadsEverySession() async throws {
        let (status, output) = try await PythonScript.run(
            ["python3", PythonScript.e2e("vectors.py").path, ProtocolVectors.file.path], limit: Self.runLimit)
        #expect(status == 0, "Tests/e2e/vectors.py exited with \(status):\n\(output)")
        guard status == 0 else { return }
        #expect(output.contains("ok   "), "Tests/e2e/vectors.py checked nothing:\n\(output)")
        print(output, terminator: "")
    }
}
