import Logging
import PostgresNIO

/// What the cluster's database has done, for `tickwire bench --cluster`:
/// PostgreSQL's own counters for the database (`pg_stat_database`) and the
/// bytes of match logs it holds. Differences of two readings over a window
/// give the writes the cluster makes.
public struct ClusterDatabaseStats: Sendable {
    /// Transactions committed in the database.
    public var commits: Int
    /// Rows inserted, updated and deleted in it.
    public var rowsWritten: Int
    /// Bytes of match logs stored now.
    public var logBytes: Int
    /// Matches running on live nodes (published, not merely placed).
    public var matches: Int

    /// Reads the counters once (PostgreSQL publishes a backend's counts
    /// within about a second of its transactions).
    public static func read(_ url: ClusterDatabaseURL) async throws -> ClusterDatabaseStats {
        var logger = Logger(label: "tickwire.bench.database")
        logger.logLevel = .error
        let client = PostgresClient(configuration: url.clientConfiguration(), backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: ClusterDatabaseStats?.self) { group in
            group.addTask {
                await client.run()
                return nil
            }
            defer { group.cancelAll() }
            var stats = ClusterDatabaseStats(commits: 0, rowsWritten: 0, logBytes: 0, matches: 0)
            let counters = try await client.query("""
                SELECT xact_commit, tup_inserted + tup_updated + tup_deleted FROM pg_stat_database WHERE datname = current_database()
                """, logger: logger)
            for try await (commits, rows) in counters.decode((Int, Int).self) {
                stats.commits = commits
                stats.rowsWritten = rows
            }
            let stored = try await client.query("""
                SELECT coalesce(sum(octet_length(bytes)), 0)::bigint,
                       (SELECT count(*) FROM tickwire_matches WHERE NOT provisional)::bigint
                FROM tickwire_match_logs
                """, logger: logger)
            for try await (bytes, matches) in stored.decode((Int, Int).self) {
                stats.logBytes = bytes
                stats.matches = matches
            }
            return stats
        }
    }
}
