import Foundation
import NIOCore

/// The body of `POST /matchmake`: `{"game": "arena"}` for a seat, or
/// `{"resume": "TOKEN"}` for the seat a resume token holds, wherever in the
/// cluster its match runs now.
enum MatchmakeRequest: Equatable {
    case game(String)
    case resume(token: String)

    static func parse(_ body: ByteBuffer) -> Result<MatchmakeRequest, HTTPRefusal> {
        let example = #"(expected {"game": "NAME"} or {"resume": "TOKEN"})"#
        guard body.readableBytes > 0 else { return .failure(HTTPRefusal(.badRequest, "the body is empty \(example)")) }
        do {
            return .success(try JSONDecoder().decode(Parsed.self, from: Data(body.readableBytesView)).request)
        } catch let error as JSONBodyProblem {
            return .failure(HTTPRefusal(.badRequest, "\(error.message) \(example)"))
        } catch DecodingError.typeMismatch {
            return .failure(HTTPRefusal(.badRequest, "the body must be a JSON object \(example)"))
        } catch {
            return .failure(HTTPRefusal(.badRequest, "the body is not valid JSON \(example)"))
        }
    }

    private struct Parsed: Decodable {
        var request: MatchmakeRequest

        init(from decoder: Decoder) throws {
            let object = try decoder.container(keyedBy: JSONKey.self)
            let keys = object.allKeys.map(\.stringValue).sorted()
            if let unknown = keys.first(where: { $0 != "game" && $0 != "resume" }) {
                throw JSONBodyProblem(message: "unknown field \"\(unknown)\"")
            }
            guard keys.count == 1, let key = object.allKeys.first else {
                throw JSONBodyProblem(message: keys.isEmpty ? "\"game\" is missing" : "give \"game\" or \"resume\", not both")
            }
            guard let value = try? object.decode(String.self, forKey: key), !value.isEmpty, value.utf8.count <= 256 else {
                throw JSONBodyProblem(message: "\"\(key.stringValue)\" must be a non-empty string of at most 256 bytes")
            }
            request = key.stringValue == "game" ? .game(value) : .resume(token: value)
        }
    }
}
