import Testing
@testable import Protocol

@Suite struct QuantizerTests {
    @Test func fixedRoundTripsEveryStep() {
        let q = FieldType.fixed(min: -2, max: 2, step: 0.25).quantizer
        for step in q.lower...q.upper { #expect(q.quantize(q.dequantize(step)) == step) }
    }
}
