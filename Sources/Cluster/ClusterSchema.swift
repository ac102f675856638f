import Logging
import PostgresNIO

/// The cluster's tables, as numbered migrations. Every node applies the
/// missing ones when it starts, in one transaction under an advisory lock:
/// nodes starting together apply each migration once, in order, and a node
/// never sees half a schema. A migration, once released, never changes; a
/// change is a new one. A database whose schema is newer than this build
/// knows is refused (an older node must not write to it).
enum ClusterSchema {
    struct Migration: Sendable {
        let version: Int
        let description: String
        let statements: [PostgresQuery]
    }

    /// Advisory lock key for migrations ("tickwire" in ASCII, as a bigint).
    static let lockKey: Int64 = 0x7469_636B_7769_7265

    static let migrations: [Migration] = [
        Migration(version: 1, description: "nodes and their matches", statements: [
            """
            CREATE TABLE tickwire_nodes (
                id text PRIMARY KEY,
                advertise text NOT NULL,
                started_at timestamptz NOT NULL DEFAULT now(),
                heartbeat_at timestamptz NOT NULL DEFAULT now(),
                draining boolean NOT NULL DEFAULT false,
                matches integer NOT NULL DEFAULT 0,
                players integer NOT NULL DEFAULT 0,
                cpu double precision NOT NULL DEFAULT 0
            )
            """,
            """
            CREATE TABLE tickwire_matches (
                id text PRIMARY KEY,
                node_id text NOT NULL REFERENCES tickwire_nodes (id) ON DELETE CASCADE,
                game text NOT NULL,
                players integer NOT NULL,
                spectators integer NOT NULL,
                capacity integer NOT NULL,
                tick bigint NOT NULL,
                locked boolean NOT NULL DEFAULT false,
                started_at timestamptz NOT NULL,
                updated_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            "CREATE INDEX tickwire_matches_node ON tickwire_matches (node_id)",
            "CREATE INDEX tickwire_matches_game ON tickwire_matches (game)",
        ]),
        Migration(version: 2, description: "seats reserved by matchmaking", statements: [
            "ALTER TABLE tickwire_nodes ADD COLUMN games text[] NOT NULL DEFAULT '{}'",
            // A match matchmaking placed on a node that has not started it yet.
            "ALTER TABLE tickwire_matches ADD COLUMN provisional boolean NOT NULL DEFAULT false",
            """
            CREATE TABLE tickwire_seats (
                token text PRIMARY KEY,
                match_id text NOT NULL REFERENCES tickwire_matches (id) ON DELETE CASCADE,
                expires_at timestamptz NOT NULL
            )
            """,
            "CREATE INDEX tickwire_seats_match ON tickwire_seats (match_id)",
        ]),
        Migration(version: 3, description: "match logs and resume tokens, for taking over a dead node's matches", statements: [
            """
            CREATE TABLE tickwire_match_logs (
                match_id text NOT NULL REFERENCES tickwire_matches (id) ON DELETE CASCADE,
                seq integer NOT NULL,
                bytes bytea NOT NULL,
                PRIMARY KEY (match_id, seq)
            )
            """,
            """
            CREATE TABLE tickwire_resume (
                token text PRIMARY KEY,
                match_id text NOT NULL REFERENCES tickwire_matches (id) ON DELETE CASCADE,
                player integer NOT NULL,
                account text
            )
            """,
            "CREATE INDEX tickwire_resume_match ON tickwire_resume (match_id)",
        ]),
        Migration(version: 4, description: "match labels, set by matchmaking", statements: [
            "ALTER TABLE tickwire_matches ADD COLUMN labels jsonb NOT NULL DEFAULT '{}'",
        ]),
    ]

    static var latest: Int { migrations.last?.version ?? 0 }

    /// Why the schema could not be brought up to date.
    struct Refused: Error, CustomStringConvertible {
        let description: String
    }

    /// Applies every migration the database lacks; returns the versions it
    /// applied (none when another node already did).
    @discardableResult
    static func migrate(_ client: PostgresClient, logger: Logger) async throws -> [Int] {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(lockKey))", logger: logger)
            try await connection.query("""
                CREATE TABLE IF NOT EXISTS tickwire_schema (
                    version integer PRIMARY KEY,
                    description text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """, logger: logger)
            var applied: Set<Int> = []
            for try await version in try await connection.query("SELECT version FROM tickwire_schema", logger: logger).decode(Int.self) {
                applied.insert(version)
            }
            if let newest = applied.max(), newest > latest {
                throw Refused(description: "the cluster database has schema version \(newest); this tickwire knows up to \(latest): upgrade this node")
            }
            var done: [Int] = []
            for migration in migrations where !applied.contains(migration.version) {
                for statement in migration.statements { try await connection.query(statement, logger: logger) }
                try await connection.query("INSERT INTO tickwire_schema (version, description) VALUES (\(migration.version), \(migration.description))",
                                           logger: logger)
                done.append(migration.version)
            }
            return done
        }
    }
}
