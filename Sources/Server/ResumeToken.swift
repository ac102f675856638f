/// Resume tokens and match ids: random, unguessable, URL-safe.
enum ResumeToken {
    private static let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_".utf8)

    /// 128 random bits as 22 URL-safe characters.
    static func make() -> String { random(characters: 22) }

    /// `n` characters of 6 random bits each from the system's generator.
    static func random(characters n: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return String(decoding: (0..<n).map { _ in alphabet[Int(generator.next() & 63)] }, as: UTF8.self)
    }
}
