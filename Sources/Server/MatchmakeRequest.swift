import Foundation
import NIOCore

/// The body of `POST /matchmake`: `{"game": "arena"}` for a seat, with
/// optional `"labels": {"region": "eu"}` (only a match placed with at least
/// those labels will do; a new one carries them), or `{"resume": "TOKEN"}`
/// for the seat a resume token holds, wherever in the cluster its match
/// runs now.
enum MatchmakeRequest: Equatable {
    case game(String, labels: [String: String])
    case resume(token: String)

    /// Bounds on labels: entries, and bytes of a key and of a value.
    static let maxLabels = 16
    static let maxLabelKeyBytes = 64
    static let maxLabelValueBytes = 256

    static func parse(_ body: ByteBuffer) -> Result<MatchmakeRequest, HTTPRefusal> {
        decodeJSONBody(body, as: Parsed.self, example: #"(expected {"game": "NAME", "labels": {"key": "value"}} or {"resume": "TOKEN"})"#)
            .map(\.request)
    }

    private struct Parsed: Decodable {
        var request: MatchmakeRequest

        init(from decoder: Decoder) throws {
            let object = try decoder.container(keyedBy: JSONKey.self)
            let keys = Set(object.allKeys.map(\.stringValue))
            if let unknown = keys.sorted().first(where: { $0 != "game" && $0 != "resume" && $0 != "labels" }) {
                throw JSONBodyProblem(message: "unknown field \"\(unknown)\"")
            }
            func text(_ name: String) throws -> String {
                guard let value = try? object.decode(String.self, forKey: JSONKey(stringValue: name)), !value.isEmpty, value.utf8.count <= 256 else {
                    throw JSONBodyProblem(message: "\"\(name)\" must be a non-empty string of at most 256 bytes")
                }
                return value
            }
            switch (keys.contains("game"), keys.contains("resume")) {
            case (true, false):
                request = .game(try text("game"), labels: try Self.labels(object))
            case (false, true):
                guard !keys.contains("labels") else { throw JSONBodyProblem(message: "a resume takes no \"labels\"") }
                request = .resume(token: try text("resume"))
            case (true, true): throw JSONBodyProblem(message: "give \"game\" or \"resume\", not both")
            case (false, false): throw JSONBodyProblem(message: "\"game\" is missing")
            }
        }

        private static func labels(_ object: KeyedDecodingContainer<JSONKey>) throws -> [String: String] {
            let key = JSONKey(stringValue: "labels")
            guard object.contains(key), try !object.decodeNil(forKey: key) else { return [:] }
            guard let labels = try? object.decode([String: String].self, forKey: key) else {
                throw JSONBodyProblem(message: "\"labels\" must be an object of strings")
            }
            guard labels.count <= MatchmakeRequest.maxLabels else {
                throw JSONBodyProblem(message: "at most \(MatchmakeRequest.maxLabels) labels")
            }
            for (name, value) in labels {
                guard !name.isEmpty, name.utf8.count <= MatchmakeRequest.maxLabelKeyBytes, value.utf8.count <= MatchmakeRequest.maxLabelValueBytes else {
                    throw JSONBodyProblem(message: "a label's name is 1 to \(MatchmakeRequest.maxLabelKeyBytes) bytes and its value at most \(MatchmakeRequest.maxLabelValueBytes)")
                }
            }
            return labels
        }
    }
}
