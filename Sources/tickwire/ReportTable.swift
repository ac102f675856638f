import Bots
import Engine
import Foundation
import Lua

/// Formats headless match reports as a table or JSON.
enum ReportTable {
    static func render(_ reports: [HeadlessMatchReport]) -> String {
        var lines = ["match  ticks  state hash        outcome"]
        for r in reports {
            let index = String(r.index + 1).leftPadded(5)
            let ticks = String(r.ticks).leftPadded(6)
            lines.append("\(index) \(ticks)  \(r.stateHash)  \(outcome(r))")
            if r.scriptFailures > 0 { lines.append("             \(r.scriptFailures) script failure\(r.scriptFailures == 1 ? "" : "s")") }
            if let botError = r.firstBotError {
                lines.append("             \(r.botErrors) bot error\(r.botErrors == 1 ? "" : "s"), first: \(botError.split(separator: "\n").first ?? "")")
            }
        }
        return lines.joined(separator: "\n")
    }

    static func outcome(_ r: HeadlessMatchReport) -> String {
        switch r.outcome {
        case .finished(let result): "finished: " + summary(of: result)
        case .unfinished: "ran out of ticks"
        case .failed(let message): "FAILED: " + (message.split(separator: "\n").first.map(String.init) ?? message)
        }
    }

    /// The scalar fields of a result table (`winner = "bot6", ticks = 1098`),
    /// or the whole value when it is not a table.
    static func summary(of value: LuaValue) -> String {
        guard case .table(let entries) = value else { return value.rendered }
        let scalars = entries.filter {
            if case .table = $0.value { return false }
            return $0.key.asString != nil
        }
        if scalars.isEmpty { return value.rendered }
        return scalars.map { "\($0.key.asString!) = \($0.value.rendered)" }.joined(separator: ", ")
    }
}

extension HeadlessMatchReport {
    /// One JSON object describing the match.
    var json: String {
        var object: [String: Any] = [
            "match": index + 1, "seed": seed, "ticks": ticks, "state_hash": stateHash.description,
            "script_failures": scriptFailures, "bot_errors": botErrors, "dropped_inputs": droppedInputs,
            "seconds": Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
        ]
        switch outcome {
        case .finished(let result):
            object["outcome"] = "finished"
            object["result"] = result.jsonObject
        case .unfinished: object["outcome"] = "unfinished"
        case .failed(let message):
            object["outcome"] = "failed"
            object["error"] = message
        }
        if let firstBotError { object["first_bot_error"] = firstBotError }
        if let firstScriptFailure { object["first_script_failure"] = firstScriptFailure }
        if let recording { object["recording"] = recording }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

extension LuaValue {
    /// Arrays for tables keyed 1...n, objects for the rest (keys as strings).
    var jsonObject: Any {
        switch self {
        case .nil: return NSNull()
        case .boolean(let b): return b
        case .integer(let i): return i
        case .number(let d): return d.isFinite ? d : String(d)
        case .string(let s): return s
        case .function, .other: return typeName
        case .table(let entries):
            let items = array
            if items.count == entries.count, !items.isEmpty { return items.map(\.jsonObject) }
            var object: [String: Any] = [:]
            for entry in entries {
                let key = entry.key.asString ?? entry.key.rendered
                object[key] = entry.value.jsonObject
            }
            return object
        }
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
