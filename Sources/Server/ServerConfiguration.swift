import Cluster
import Engine
import NIOCore

/// Everything `tickwire serve` can be told. Defaults suit a public server on
/// one machine; every limit exists so that no client can grow memory or
/// delay a tick without bound.
public struct ServerConfiguration: Sendable {
    public var host = "0.0.0.0"
    /// 0 picks a free port (tests); the bound one is `TickwireServer.port`.
    public var port = 8080
    /// Folder whose subfolders are games (each with game.lua and bot.lua).
    public var gamesFolder = "games"
    /// Who may read a match's whole state (`GET /matches/ID/state`).
    public var stateAccess: MatchStateAccess = .closed
    /// Games already loaded, by name, served instead of `gamesFolder`'s.
    public var games: [String: GameDefinition]?
    /// Hot reload (`serve --dev`, `--watch`): each game's folder is watched,
    /// a saved edit that loads replaces the game's rules, and every running
    /// match of it is rebuilt on them without dropping a client (matches
    /// keep their command history for this). A new game folder is loaded
    /// too.
    public var hotReload = false
    /// Static files served at `/` (the browser client); nil serves none.
    public var webFolder: String? = "web"
    /// PEM certificate chain and key: both set serves `https`/`wss`.
    public var tlsCertificate: String?
    public var tlsKey: String?
    /// Exact `Origin` values a browser may connect from; empty allows any
    /// (non-browser clients send none and are always allowed).
    public var allowedOrigins: [String] = []
    /// HS256 secret: when set, `/play` needs a JWT (query `token=` or
    /// subprotocol `tickwire.jwt.<token>`) whose claims name the player.
    public var jwtSecret: String?

    /// Largest WebSocket message a client may send. Inputs are a few bytes;
    /// 64 KiB leaves room for chat-like client events.
    public var maxMessageBytes = 64 * 1024
    /// Time from accepting a connection to a complete HTTP request or upgrade.
    public var handshakeTimeout: TimeAmount = .seconds(10)
    /// Server pings this often; a peer silent for `idleTimeout` is dropped.
    public var pingInterval: TimeAmount = .seconds(15)
    public var idleTimeout: TimeAmount = .seconds(45)
    /// A dropped player keeps their seat this long and may resume with the
    /// token from `welcome`; `game.leave` runs when it ends. Zero disables.
    public var resumeGrace: Duration = .seconds(10)
    /// Messages per second a client may send, sustained (its burst is two
    /// seconds' worth), and at least 4 per tick of the client's game.
    /// Counted in WebSocket frames: a one-frame message costs one, a
    /// fragmented message one per fragment, and pings, pongs and close frames
    /// one each. Inputs beyond one per tick are queued (8) then dropped
    /// oldest first; a client above this rate is closed (flooding, 4008).
    public var maxMessagesPerSecond = 120
    /// Bytes that may wait unsent for one client (anything written to its
    /// socket and not yet taken by the kernel); past it, the client is closed
    /// as too slow (4007). 4 MiB: a healthy player holds at most the
    /// 128 KiB write-buffer high-water mark (past which the match stops
    /// sending it snapshots) plus one snapshot, welcome or error; a client
    /// that never reads costs at most this, where it grew without bound.
    /// At least 64 KiB.
    public var maxOutboundBytes = 4 << 20
    /// Open connections (players, spectators, HTTP) at once; more are refused.
    public var maxConnections = 10_000
    /// Matches at once; joining or creating beyond it is refused.
    public var maxMatches = 1_000
    /// Spectators one match sends frames to.
    public var maxSpectatorsPerMatch = 64
    /// A match with nobody in it (no seat, no spectator) ends after this.
    public var emptyMatchTimeout: Duration = .seconds(60)
    /// Threads serving sockets and HTTP (default: one per core). Matches run
    /// on threads of their own, never on these.
    public var threads: Int = System.coreCount
    /// How each match runs (script limits, failure policy, snapshot history,
    /// default `params`, which `POST /matches` overrides key by key).
    /// The history bounds how long a player may stay unwritable: once their
    /// baseline would leave it, they are closed as too slow.
    public var match = MatchOptions()
    /// A match whose current work (a tick, a join) runs longer than this is
    /// abandoned: its clients are closed, every other match goes on. The
    /// Lua time limit stops a runaway call long before; this catches one that
    /// escaped it. Ten times the time limit (or 10 s without one).
    public var hardLimit: Duration {
        get { explicitHardLimit ?? (match.limits.timeLimit ?? .seconds(1)) * 10 }
        set { explicitHardLimit = newValue }
    }
    private var explicitHardLimit: Duration?
    /// The time seats run by (resume grace, empty-match timeout, ack
    /// delays); the system clock by default. Tests pass one they move.
    public var clock: ServerClock = .system
    /// Makes the log a new match records itself into (its commands, what
    /// the clock decided, hash checkpoints), or nil for none; called on the
    /// match's thread before `game.init` runs. Nil (the default) records
    /// nothing.
    public var makeMatchLog: (@Sendable (_ matchID: String, _ game: GameDefinition, _ options: MatchOptions) -> (any MatchLog)?)?

    /// The cluster's PostgreSQL (`serve --cluster postgres://…`): the node
    /// registers there, heartbeats and publishes its matches, and `GET
    /// /matches` lists the whole cluster. Nil (the default): one process,
    /// no database.
    public var cluster: ClusterDatabaseURL?
    /// The URL players reach this node at (`--advertise ws://host:port`);
    /// nil: `ws://HOST:PORT` (or `wss://`) of the address it listens on.
    public var advertise: String?
    /// Heartbeat period and the age past which a node counts as dead.
    public var clusterHeartbeat: Duration = .seconds(1)
    public var clusterNodeTimeout: Duration = .seconds(3)
    /// What a cluster node does on SIGTERM.
    public var clusterStop: ClusterStop = .drain(.seconds(600))

    public enum ClusterStop: Sendable, Equatable {
        /// No new matches; the running ones play on (players may resume)
        /// until they end, for at most this long; what still runs then is
        /// handed over.
        case drain(Duration)
        /// The matches stop where they are and other nodes go on with them.
        case handOver
        /// The matches end here (`game.result`), as a single server's do,
        /// and the node leaves the cluster with them.
        case end
    }
    /// How long a starting node waits for the database before it gives up.
    public var clusterJoinTimeout: Duration = .seconds(10)

    public init() {}
}
