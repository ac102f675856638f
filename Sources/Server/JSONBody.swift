import Foundation
import NIOCore

/// What the parsers of JSON request bodies share (`CreateMatchRequest`,
/// `MatchmakeRequest`, `ReplayControlRequest`): any key, to list and refuse the unknown ones,
/// and a problem that names what is wrong for the 400 answer.
struct JSONKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

struct JSONBodyProblem: Error {
    let message: String
}


/// Decodes a request body as `Body`; a refusal (400) names what is wrong,
/// followed by `example`, the shape expected.
func decodeJSONBody<Body: Decodable>(_ body: ByteBuffer, as type: Body.Type, example: String) -> Result<Body, HTTPRefusal> {
    guard body.readableBytes > 0 else { return .failure(HTTPRefusal(.badRequest, "the body is empty \(example)")) }
    do {
        return .success(try JSONDecoder().decode(Body.self, from: Data(body.readableBytesView)))
    } catch let error as JSONBodyProblem {
        return .failure(HTTPRefusal(.badRequest, "\(error.message) \(example)"))
    } catch DecodingError.typeMismatch {
        return .failure(HTTPRefusal(.badRequest, "the body must be a JSON object \(example)"))
    } catch {
        return .failure(HTTPRefusal(.badRequest, "the body is not valid JSON \(example)"))
    }
}
