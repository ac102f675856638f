import Client
import NIOCore
import Protocol
import Testing

/// The client's header-only read agrees with Protocol's full decoder.
@Suite struct ClientSnapshotHeaderTests {
    static let schema = GameSchema(
        match: FieldSet(name: "match", index: 0, fields: [Field(name: "phase", type: .integer(bits: 8, signed: false))]),
        kinds: [FieldSet(name: "dot", index: 0, fields: [Field(name: "x", type: .integer(bits: 16, signed: true))])],
        input: [Field(name: "turn", type: .integer(bits: 8, signed: true)), Field(name: "fire", type: .bool)],
        events: [])

    @Test(arguments: [(0, nil, 0), (1, nil, 0), (200, 199, 7), (1 << 20, 1 << 19, 1 << 40), (Int(Int32.max), 1, UInt64.max)] as [(Int, Int?, UInt64)])
    func readsWhatTheServerWrites(tick: Int, baseline: Int?, lastInput: UInt64) throws {
        let bytes = SnapshotMessage.header(tick: tick, baselineTick: baseline, lastInput: lastInput) + [0xAA, 0xBB]
        let header = try SnapshotHeader(bytes)
        #expect(header == SnapshotHeader(tick: tick, baselineTick: baseline, lastProcessedInput: lastInput))
        #expect(try SnapshotHeader(ByteBuffer(bytes: bytes)) == header)
    }

    @Test func agreesWithTheFullDecoder() throws {
        let coding = SnapshotCoding(Self.schema)
        let mirror = ClientMirror(schema: Self.schema)
        var previous: Snapshot?
        var rng = SplitMix64(seed: 7)
        for tick in 1...40 {
            let count = Int(rng.next() % 5) + 1
            let entities = (0..<count).map { Snapshot.Entity(id: UInt32($0 + 1 + tick % 3), kind: 0, offset: Int32($0)) }
            let values = (0..<count).map { _ in Int64(rng.next() % 65_536) - 32_768 }
            let snapshot = Snapshot(tick: tick, match: [Int64(tick % 200)], entities: entities, values: values,
                                    events: [], strings: StringTable())
            let baseline = tick % 7 == 0 ? nil : previous
            let message = SnapshotMessage.encode(from: baseline, to: snapshot, lastInput: UInt64(tick * 3),
                                                 audience: .spectator, coding: coding)
            let header = try SnapshotHeader(message)
            let decoded = try SnapshotMessage.decode(message, baseline: mirror.state, coding: coding)
            try mirror.apply(message)
            #expect(header.tick == decoded.snapshot.tick)
            #expect(header.baselineTick == decoded.baselineTick)
            #expect(header.lastProcessedInput == decoded.lastInput)
            previous = snapshot
        }
    }

    @Test(arguments: [
        [UInt8](), [0x02], [0x02, 0x80], [0x01, 0x05, 0x00, 0x00], [0x02, 0x05, 0x06, 0x00],
        [0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x00, 0x00],
    ])
    func refusesBrokenHeaders(_ bytes: [UInt8]) {
        #expect(throws: ProtocolError.self) { try SnapshotHeader(bytes) }
    }

    @Test func packedInputsMatchTheEncoder() throws {
        var rng = SplitMix64(seed: 3)
        for sequence: UInt64 in [1, 2, 127, 128, 300, 1 << 35] {
            let values = PackedInput.randomValues(for: Self.schema, using: &rng)
            var buffer = ByteBuffer()
            PackedInput(values: values, schema: Self.schema).write(sequence: sequence, into: &buffer)
            #expect(Array(buffer.readableBytesView) == InputMessage(sequence: sequence, values: values).encode(schema: Self.schema))
            #expect(try ClientMessage.decode(Array(buffer.readableBytesView), schema: Self.schema)
                == .input(InputMessage(sequence: sequence, values: values)))
        }
    }
}
