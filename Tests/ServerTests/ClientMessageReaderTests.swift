@testable import Client
import NIOCore
import Protocol
import Testing
import WebSocket

/// The order rules both client faces follow, without sockets.
@Suite struct ClientMessageReaderTests {
    static let schema = GameSchema(
        match: FieldSet(name: "match", index: 0, fields: []), kinds: [],
        input: [Field(name: "x", type: .integer(bits: 8, signed: true))], events: [])
    static let welcome = Welcome(playerID: 3, matchID: "m1", tickRate: 30, tick: 10, schema: schema).encode()
    static let snapshot = SnapshotMessage.header(tick: 11, baselineTick: nil, lastInput: 0) + [0, 0, 0x01]

    @Test func welcomeThenSnapshotsThenAnError() {
        var reader = ServerMessageReader()
        guard case .welcome(let w) = reader.read(Self.welcome) else { Issue.record("no welcome"); return }
        #expect(w.playerID == 3)
        guard case .snapshot(let header) = reader.read(Self.snapshot) else { Issue.record("no snapshot"); return }
        #expect(header.tick == 11)
        #expect(reader.lastTick == 11)
        guard case .error(let e) = reader.read(ErrorMessage(code: .matchOver, reason: "done").encode()) else { Issue.record("no error"); return }
        #expect(e.code == .matchOver)
    }

    @Test func anErrorMayComeFirst() {
        var reader = ServerMessageReader()
        guard case .error(let e) = reader.read(ErrorMessage(code: .matchFull, reason: "full").encode()) else { Issue.record("no error"); return }
        #expect(e.reason == "full")
        #expect(reader.welcome == nil)
    }

    @Test func outOfOrderMessagesAreProtocolErrors() {
        var reader = ServerMessageReader()
        #expect(closeCode(reader.read(Self.snapshot)) == .protocolError)   // before the welcome
        _ = reader.read(Self.welcome)
        let otherSeat = Welcome(playerID: 4, matchID: "m1", tickRate: 30, tick: 10, schema: Self.schema).encode()
        #expect(closeCode(reader.read(otherSeat)) == .protocolError)        // a second welcome for another seat
        let otherMatch = Welcome(playerID: 3, matchID: "m2", tickRate: 30, tick: 10, schema: Self.schema).encode()
        #expect(closeCode(reader.read(otherMatch)) == .protocolError)       // … or another match
        #expect(closeCode(reader.read(InputMessage(sequence: 1, values: [0]).encode(schema: Self.schema))) == .protocolError)
        #expect(closeCode(reader.read([0x7F])) == .protocolError)
        #expect(closeCode(reader.read([])) == .protocolError)
        #expect(closeCode(reader.read([0x02, 0x80])) == .protocolError)    // a broken header
        #expect(closeCode(reader.read(.text("hello"))) == .unsupportedData)
    }

    @Test func aLaterWelcomeForTheSameSeatIsAReload() {
        var reader = ServerMessageReader()
        _ = reader.read(Self.welcome)
        let schema = GameSchema(match: FieldSet(name: "match", index: 0, fields: []), kinds: [],
                                input: [Field(name: "y", type: .bool)], events: [])
        let reloaded = Welcome(playerID: 3, matchID: "m1", tickRate: 20, tick: 40, schema: schema).encode()
        guard case .reloaded(let w) = reader.read(reloaded) else { Issue.record("no reload"); return }
        #expect(w.schema.input.map(\.name) == ["y"])
        #expect(reader.welcome?.tickRate == 20)
        guard case .snapshot = reader.read(Self.snapshot) else { Issue.record("no snapshot after the reload"); return }
    }

    @Test func anotherVersionClosesWith4002() {
        var reader = ServerMessageReader()
        var bytes = Self.welcome
        bytes[1] = 1   // the version varint: a server of protocol 1
        guard case .fail(let error, let code) = reader.read(bytes) else { Issue.record("accepted version 1"); return }
        #expect(code.rawValue == 4002)
        #expect(error.protocolError?.code == .version)
    }

    private func closeCode(_ action: ServerMessageReader.Action) -> WebSocketCloseCode? {
        if case .fail(_, let code) = action { return code }
        return nil
    }
}
