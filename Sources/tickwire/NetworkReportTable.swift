import Bots
import Foundation

/// Formats a network bots or load run as a table or JSON.
enum NetworkReportTable {
    static func render(_ r: NetworkReport) -> String {
        func ms(_ v: Double?) -> String { v.map { String(format: "%.1f", $0) } ?? "-" }
        let seconds = r.elapsed.components.seconds
        var lines = ["players  joined  matches  snapshots  inputs   latency ms p50   p99    max   bytes/player/s  ticks missed  errors"]
        lines.append([
            String(r.players).leftPadded(7), String(r.joined).leftPadded(7), String(r.matches).leftPadded(8),
            String(r.snapshots).leftPadded(10), String(r.inputsSent).leftPadded(7),
            ms(r.latencyMillis(50)).leftPadded(17), ms(r.latencyMillis(99)).leftPadded(6), ms(r.maxLatencyMillis).leftPadded(6),
            String(Int(r.bytesPerPlayerSecond.rounded())).leftPadded(16), String(r.ticksMissed).leftPadded(13),
            String(r.errorCount).leftPadded(7),
        ].joined(separator: " "))
        for (kind, e) in r.errors.sorted(by: { $0.value.count > $1.value.count }) {
            lines.append("  \(String(e.count).leftPadded(6)) \(kind): first: \(e.first.split(separator: "\n").first ?? "")")
        }
        if r.botErrors > 0 {
            lines.append("  \(String(r.botErrors).leftPadded(6)) bot error\(r.botErrors == 1 ? "" : "s"), first: \(r.firstBotError?.split(separator: "\n").first ?? "")")
        }
        if r.matchesEnded > 0 {
            lines.append("\(r.matchesEnded) player\(r.matchesEnded == 1 ? "" : "s") left when their match ended (closed 1000)")
        }
        lines.append("\(r.latency.totalCount) latency samples, \(r.unconfirmedInputs) inputs unconfirmed at the end, \(seconds) s in all")
        return lines.joined(separator: "\n")
    }

    static func json(_ r: NetworkReport) -> String {
        var object: [String: Any] = [
            "players": r.players, "joined": r.joined, "matches": r.matches, "snapshots": r.snapshots,
            "inputs_sent": r.inputsSent, "unconfirmed_inputs": r.unconfirmedInputs, "latency_samples": r.latency.totalCount,
            "bytes_received": r.bytesReceived, "bytes_per_player_second": r.bytesPerPlayerSecond.rounded(),
            "ticks_missed": r.ticksMissed, "bot_errors": r.botErrors, "seconds": r.elapsed.seconds,
            "matches_ended": r.matchesEnded,
            "errors": Dictionary(uniqueKeysWithValues: r.errors.map { ($0.key, ["count": $0.value.count, "first": $0.value.first] as [String: Any]) }),
        ]
        if let p50 = r.latencyMillis(50), let p99 = r.latencyMillis(99), let max = r.maxLatencyMillis {
            object["latency_ms"] = ["p50": p50, "p99": p99, "max": max]
        }
        if let first = r.firstBotError { object["first_bot_error"] = first }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
