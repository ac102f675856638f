import Testing

@testable import WebSocket

@Suite struct UTF8StreamValidatorTests {
    private func accepts(_ pieces: [[UInt8]]) -> Bool {
        var validator = UTF8StreamValidator()
        for piece in pieces {
            guard piece.withUnsafeBytes({ validator.validate($0) }) else { return false }
        }
        return validator.isAtCharacterBoundary
    }

    @Test func agreesWithTheStandardLibraryOnEdgeSequences() {
        let samples: [[UInt8]] = [
            [], Array("plain ascii, long enough for the word loop".utf8), Array("κόσμε 😀 ✓".utf8),
            [0xC0, 0x80], [0xC1, 0xBF], [0xC2, 0x80], [0xDF, 0xBF],  // overlong and edges of 2-byte
            [0xE0, 0x9F, 0xBF], [0xE0, 0xA0, 0x80], [0xED, 0x9F, 0xBF], [0xED, 0xA0, 0x80],  // overlong, surrogates
            [0xEF, 0xBF, 0xBF], [0xF0, 0x8F, 0xBF, 0xBF], [0xF0, 0x90, 0x80, 0x80],
            [0xF4, 0x8F, 0xBF, 0xBF], [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xFF],
            [0x80], [0xE2, 0x82], [0x41, 0xE2, 0x82, 0xAC, 0x41], Array(repeating: 0x41, count: 15) + [0xC3],
        ]
        for bytes in samples {
            let expected = String(validating: bytes, as: UTF8.self) != nil
            #expect(accepts([bytes]) == expected, "\(bytes)")
        }
    }

    @Test func everySplitOfValidTextIsAccepted() {
        let bytes = Array("aé€😀 mixed text κόσμε".utf8)
        for cut in 0...bytes.count {
            #expect(accepts([Array(bytes[..<cut]), Array(bytes[cut...])]), "cut at \(cut)")
        }
    }

    private let edgeBytes: [UInt8] = [
        0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF,
        0xE0, 0xE1, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF4, 0xF5, 0xFF,
    ]

    @Test func randomBytesAgreeWithTheStandardLibrary() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let count = Int.random(in: 0..<24, using: &generator)
            // Drawn from the bytes at the edges of the table, so that valid
            // and nearly valid sequences both turn up.
            let bytes = (0..<count).map { _ in edgeBytes.randomElement(using: &generator)! }
            let cut = Int.random(in: 0...count, using: &generator)
            let expected = String(validating: bytes, as: UTF8.self) != nil
            #expect(accepts([Array(bytes[..<cut]), Array(bytes[cut...])]) == expected, "\(bytes)")
        }
    }
}
