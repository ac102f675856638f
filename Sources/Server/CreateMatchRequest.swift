import Engine
import Foundation
import NIOCore

/// The body of `POST /matches`: `{"game": "arena", "params": {"score_limit": 10}}`,
/// `params` optional, its values numbers, strings or booleans.
struct CreateMatchRequest: Equatable {
    var game: String
    var params: [String: MatchParameter]

    /// Parses a JSON body; the refusal names what is wrong.
    static func parse(_ body: ByteBuffer) -> Result<CreateMatchRequest, HTTPRefusal> {
        decodeJSONBody(body, as: Parsed.self, example: #"(expected {"game": "NAME", "params": {"key": 1}})"#).map(\.request)
    }

    private struct Parsed: Decodable {
        var request: CreateMatchRequest

        init(from decoder: Decoder) throws {
            let object = try decoder.container(keyedBy: JSONKey.self)
            if let unknown = object.allKeys.map(\.stringValue).sorted().first(where: { $0 != "game" && $0 != "params" }) {
                throw JSONBodyProblem(message: "unknown field \"\(unknown)\"")
            }
            let gameKey = JSONKey(stringValue: "game"), paramsKey = JSONKey(stringValue: "params")
            guard object.contains(gameKey) else { throw JSONBodyProblem(message: "\"game\" is missing") }
            guard let game = try? object.decode(String.self, forKey: gameKey) else {
                throw JSONBodyProblem(message: "\"game\" must be a string")
            }
            guard !game.isEmpty else { throw JSONBodyProblem(message: "\"game\" is empty") }
            var params: [String: MatchParameter] = [:]
            if object.contains(paramsKey), try !object.decodeNil(forKey: paramsKey) {
                guard let values = try? object.nestedContainer(keyedBy: JSONKey.self, forKey: paramsKey) else {
                    throw JSONBodyProblem(message: "\"params\" must be an object")
                }
                for key in values.allKeys {
                    if let flag = try? values.decode(Bool.self, forKey: key) {
                        params[key.stringValue] = .bool(flag)
                    } else if let number = try? values.decode(Double.self, forKey: key), number.isFinite {
                        params[key.stringValue] = .number(number)
                    } else if let text = try? values.decode(String.self, forKey: key) {
                        params[key.stringValue] = .string(text)
                    } else {
                        throw JSONBodyProblem(message: "params.\(key.stringValue) must be a number, a string or a boolean")
                    }
                }
            }
            request = CreateMatchRequest(game: game, params: params)
        }
    }
}
