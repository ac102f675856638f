/// What the parsers of JSON request bodies share (`CreateMatchRequest`,
/// `ReplayControlRequest`): any key, to list and refuse the unknown ones,
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
