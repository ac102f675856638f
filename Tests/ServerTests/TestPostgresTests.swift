import Foundation
import Testing
import TestSupport

/// TestPostgres, the throwaway server the cluster tests run against: it
/// serves a database per test, leaves nothing behind when stopped, and
/// keeps its data across a stop and start of the server alone.
///
/// Skipped when PostgreSQL is not installed, unless TICKWIRE_REQUIRE_POSTGRES=1
/// (scripts/test sets it after installing Debian's postgresql): then
/// `start()` throws and the test fails.
@Suite(.serialized, .timeLimit(.minutes(2))) struct TestPostgresTests {
    @Test func servesADatabaseAndLeavesNothingBehind() throws {
        guard let postgres = try TestPostgres.start() else { return }
        defer { postgres.stop() }
        try postgres.createDatabase("first")

        // psql from the same bin directory, by the URL clients are given.
        let psql = Process()
        psql.executableURL = URL(fileURLWithPath: postgres.binDirectory).appendingPathComponent("psql")
        psql.arguments = ["-X", "-A", "-t", "-w", "-c", "select 1", postgres.url(database: "first")]
        let output = Pipe()
        psql.standardOutput = output
        psql.standardError = output
        psql.standardInput = FileHandle.nullDevice
        try psql.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        psql.waitUntilExit()
        #expect(psql.terminationStatus == 0, "\(text)")
        #expect(text == "1\n")
        #expect(try postgres.psql("select current_database()", database: "first") == "first\n")

        postgres.stop()
        #expect(!FileManager.default.fileExists(atPath: postgres.directory))
        #expect(throws: (any Error).self) { try RawHTTP(port: postgres.port) }
        postgres.stop()
    }

    @Test func keepsItsDataAcrossAStopAndStart() throws {
        guard let postgres = try TestPostgres.start() else { return }
        defer { postgres.stop() }
        try postgres.createDatabase("kept")
        _ = try postgres.psql("create table t (v int); insert into t values (42)", database: "kept")

        try postgres.stopServer()
        #expect(throws: (any Error).self) { try RawHTTP(port: postgres.port) }
        #expect(throws: TestPostgresError.self) { try postgres.psql("select 1") }

        try postgres.startServer()
        #expect(try postgres.psql("select v from t", database: "kept") == "42\n")
        try postgres.restart()
        #expect(try postgres.psql("select v from t", database: "kept") == "42\n")
    }
}
