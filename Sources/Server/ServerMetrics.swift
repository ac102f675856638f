import CoreMetrics
import NIOConcurrencyHelpers
import Prometheus

/// What an operator watches, through swift-metrics into a Prometheus registry
/// served at `GET /metrics`. Each server has its own registry (tests run
/// several servers in one process), so nothing is bootstrapped globally.
///
/// Names: `tickwire_matches`, `tickwire_players`, `tickwire_spectators`,
/// `tickwire_connections`, `tickwire_tick_duration_seconds` (histogram, rules
/// plus fan-out), `tickwire_tick_overruns_total`, `tickwire_bytes_out_total`,
/// `tickwire_frame_bytes` (histogram: one snapshot message to one client),
/// `tickwire_inputs_dropped_total`, `tickwire_lua_errors_total`,
/// `tickwire_ack_delay_seconds` (histogram: a frame handed to the socket until
/// the client's ack of its tick arrives — network and client included),
/// `tickwire_connections_refused_total{reason=…}`, `tickwire_disconnects_total{reason=…}`.
final class ServerMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory

    let matches: CoreMetrics.Gauge
    let players: CoreMetrics.Gauge
    let spectators: CoreMetrics.Gauge
    let connections: CoreMetrics.Gauge
    let tickDuration: CoreMetrics.Timer
    let overruns: CoreMetrics.Counter
    let bytesOut: CoreMetrics.Counter
    let frameBytes: CoreMetrics.Recorder
    let inputsDropped: CoreMetrics.Counter
    let luaErrors: CoreMetrics.Counter
    /// Matches given up because a call ran past the hard limit.
    let matchesAbandoned: CoreMetrics.Counter
    let ackDelay: CoreMetrics.Timer
    /// In a cluster: whether the last heartbeat reached PostgreSQL, the
    /// live nodes and their matches it saw, heartbeats that failed, and
    /// seats `POST /matchmake` reserved.
    let clusterReachable: CoreMetrics.Gauge
    let clusterNodes: CoreMetrics.Gauge
    let clusterMatches: CoreMetrics.Gauge
    let clusterHeartbeatsFailed: CoreMetrics.Counter
    let clusterSeatsReserved: CoreMetrics.Counter
    /// Matches of dead nodes this node took over.
    let clusterMatchesAdopted: CoreMetrics.Counter

    init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // A 30 Hz tick has 33 ms; the interesting part is well under 5 ms.
        factory.durationHistogramBuckets["tickwire_tick_duration_seconds"] = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
            .milliseconds(3), .milliseconds(5), .milliseconds(10), .milliseconds(20), .milliseconds(33),
            .milliseconds(50), .milliseconds(100), .milliseconds(250),
        ]
        factory.durationHistogramBuckets["tickwire_ack_delay_seconds"] = [
            .milliseconds(5), .milliseconds(10), .milliseconds(20), .milliseconds(35), .milliseconds(50),
            .milliseconds(75), .milliseconds(100), .milliseconds(150), .milliseconds(250), .milliseconds(500),
            .seconds(1), .seconds(2),
        ]
        factory.valueHistogramBuckets["tickwire_frame_bytes"] = [16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 65536, 262_144]
        self.factory = factory
        matches = CoreMetrics.Gauge(label: "tickwire_matches", factory: factory)
        players = CoreMetrics.Gauge(label: "tickwire_players", factory: factory)
        spectators = CoreMetrics.Gauge(label: "tickwire_spectators", factory: factory)
        connections = CoreMetrics.Gauge(label: "tickwire_connections", factory: factory)
        tickDuration = CoreMetrics.Timer(label: "tickwire_tick_duration_seconds", factory: factory)
        overruns = CoreMetrics.Counter(label: "tickwire_tick_overruns_total", factory: factory)
        bytesOut = CoreMetrics.Counter(label: "tickwire_bytes_out_total", factory: factory)
        frameBytes = CoreMetrics.Recorder(label: "tickwire_frame_bytes", factory: factory)
        inputsDropped = CoreMetrics.Counter(label: "tickwire_inputs_dropped_total", factory: factory)
        luaErrors = CoreMetrics.Counter(label: "tickwire_lua_errors_total", factory: factory)
        matchesAbandoned = CoreMetrics.Counter(label: "tickwire_matches_abandoned_total", factory: factory)
        ackDelay = CoreMetrics.Timer(label: "tickwire_ack_delay_seconds", factory: factory)
        clusterReachable = CoreMetrics.Gauge(label: "tickwire_cluster_database_reachable", factory: factory)
        clusterNodes = CoreMetrics.Gauge(label: "tickwire_cluster_nodes", factory: factory)
        clusterMatches = CoreMetrics.Gauge(label: "tickwire_cluster_matches", factory: factory)
        clusterHeartbeatsFailed = CoreMetrics.Counter(label: "tickwire_cluster_heartbeats_failed_total", factory: factory)
        clusterSeatsReserved = CoreMetrics.Counter(label: "tickwire_cluster_seats_reserved_total", factory: factory)
        clusterMatchesAdopted = CoreMetrics.Counter(label: "tickwire_cluster_matches_adopted_total", factory: factory)
    }

    /// A connection the server turned away, by why (`full`, `origin`, `auth`,
    /// `not-found`, `too-many-connections`, …).
    func refused(_ reason: String) {
        CoreMetrics.Counter(label: "tickwire_connections_refused_total", dimensions: [("reason", reason)], factory: factory).increment()
    }

    /// A connection the server closed, by why (`too-slow`, `flooding`, `malformed`, …).
    func disconnected(_ reason: String) {
        CoreMetrics.Counter(label: "tickwire_disconnects_total", dimensions: [("reason", reason)], factory: factory).increment()
        disconnects.withLockedValue { $0[reason, default: 0] += 1 }
    }

    /// Seats taken (players away within their grace included) and
    /// spectators, over every match; matches report their changes.
    func seatsChanged(players: Int, spectators: Int) {
        let totals = occupancy.withLockedValue { totals in
            totals.players += players
            totals.spectators += spectators
            return totals
        }
        self.players.record(totals.players)
        self.spectators.record(totals.spectators)
    }

    private let occupancy = NIOLockedValueBox<(players: Int, spectators: Int)>((0, 0))

    /// Connections closed for `reason` so far.
    func disconnectCount(_ reason: String) -> Int { disconnects.withLockedValue { $0[reason] ?? 0 } }

    private let disconnects = NIOLockedValueBox<[String: Int]>([:])

    /// The Prometheus text exposition of every metric.
    func exposition() -> [UInt8] { registry.emitToBuffer() }
}
