import Testing
@testable import Protocol

@Suite struct MessageTypeTests {
    @Test func typeBytesAndDirections() throws {
        #expect(MessageType.allCases.map(\.rawValue) == [0x01, 0x02, 0x03, 0x81, 0x82, 0x83])
        #expect(MessageType.allCases.filter(\.isFromClient) == [.input, .clientEvent, .ack])
        for type in MessageType.allCases { #expect(try MessageType(of: [type.rawValue, 0xff]) == type) }
        expectRefused(.truncated) { () throws(ProtocolError) in try MessageType(of: []) }
        for byte: UInt8 in [0x00, 0x04, 0x80, 0x84, 0xff] {
            expectRefused(.unknown) { () throws(ProtocolError) in try MessageType(of: [byte]) }
        }
    }

    @Test func versionAndSubprotocol() {
        #expect(ProtocolVersion.current == 2)
        #expect(ProtocolVersion.subprotocol == "tickwire.2")
        #expect(ProtocolVersion.version(ofSubprotocol: "tickwire.1") == 1)
        #expect(ProtocolVersion.version(ofSubprotocol: "tickwire.12") == 12)
        for name in ["tickwire.", "tickwire.01", "tickwire.+1", "tickwire.-1", "tickwire.1 ", "Tickwire.1", "chat", "tickwire.x"] {
            #expect(ProtocolVersion.version(ofSubprotocol: name) == nil, "\(name)")
        }
    }
}
