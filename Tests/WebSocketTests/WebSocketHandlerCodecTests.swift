import NIOCore
import NIOEmbedded
import NIOWebSocket
import Testing

@testable import WebSocket

/// `WebSocketHandler` behind NIO's real frame codec, fed raw bytes: decoder
/// errors arrive through `errorCaught` exactly as on a socket.
@Suite struct WebSocketHandlerCodecTests {
    let key: [UInt8] = [0x11, 0x22, 0x33, 0x44]

    /// A masked frame on the wire, as a client sends it.
    func wire(_ firstByte: UInt8, _ payload: [UInt8]) -> ByteBuffer {
        var buffer = ByteBuffer(bytes: [firstByte])
        switch payload.count {
        case 0...125: buffer.writeInteger(UInt8(0x80 | payload.count))
        case 126...0xFFFF:
            buffer.writeInteger(UInt8(0x80 | 126))
            buffer.writeInteger(UInt16(payload.count))
        default:
            buffer.writeInteger(UInt8(0x80 | 127))
            buffer.writeInteger(UInt64(payload.count))
        }
        buffer.writeBytes(key)
        buffer.writeBytes(payload.enumerated().map { $0.element ^ key[$0.offset % 4] })
        return buffer
    }

    func makeChannel(maxMessageBytes: Int = 100) throws -> (EmbeddedChannel, Recorder) {
        let configuration = WebSocketConfiguration(role: .server, maxMessageBytes: maxMessageBytes, pingInterval: nil)
        let channel = EmbeddedChannel()
        let recorder = Recorder()
        let pipeline = channel.pipeline.syncOperations
        try WebSocketPipeline.addFrameDecoder(maxFrameSize: WebSocketPipeline.maxFrameSize(for: configuration), to: pipeline)
        try WebSocketPipeline.addWebSocketHandler(configuration: configuration, to: pipeline)
        try pipeline.addHandler(recorder)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return (channel, recorder)
    }

    /// Every byte the handler wrote, as it went on the wire.
    func written(_ channel: EmbeddedChannel) throws -> [UInt8] {
        var bytes: [UInt8] = []
        while var buffer = try channel.readOutbound(as: ByteBuffer.self) {
            bytes += buffer.readBytes(length: buffer.readableBytes)!
        }
        return bytes
    }

    @Test func bytesBecomeMessagesOneByteAtATime() throws {
        let (channel, recorder) = try makeChannel()
        var bytes = wire(0x02, [1, 2, 3])  // binary, not final
        bytes.writeImmutableBuffer(wire(0x89, [9]))  // ping in between
        bytes.writeImmutableBuffer(wire(0x80, [4]))  // final continuation
        for byte in bytes.readableBytesView {
            try channel.writeInbound(ByteBuffer(bytes: [byte]))
        }
        #expect(recorder.messages == [.binary(ByteBuffer(bytes: [1, 2, 3, 4]))])
        #expect(try written(channel) == [0x8A, 0x01, 9])  // unmasked pong
    }

    @Test func frameOverTheLimitIsRefusedBeforeItsPayloadArrives() throws {
        let (channel, recorder) = try makeChannel(maxMessageBytes: 100)
        // Only the header of a 101-byte frame: the decoder refuses it at once.
        let header = wire(0x82, Array(repeating: 0, count: 101)).getSlice(at: 0, length: 2 + 4)!
        try channel.writeInbound(header)
        let reply = try written(channel)
        #expect(Array(reply.prefix(4)) == [0x88, UInt8(reply.count - 2), 0x03, 0xF1])  // close 1009
        #expect(!channel.isActive)
        #expect(recorder.closed.map(\.code) == [.messageTooBig])
        #expect(recorder.errors.isEmpty)
        // More bytes after the failure are dropped without a second close.
        _ = try? channel.writeInbound(ByteBuffer(bytes: [0, 0, 0]))
        #expect(try written(channel).isEmpty)
        #expect(recorder.errors.isEmpty)
        #expect(recorder.closed.count == 1)
    }

    @Test func frameAtTheLimitIsAccepted() throws {
        let (channel, recorder) = try makeChannel(maxMessageBytes: 100)
        try channel.writeInbound(wire(0x82, Array(repeating: 5, count: 100)))
        #expect(recorder.messages == [.binary(ByteBuffer(repeating: 5, count: 100))])
        #expect(channel.isActive)
    }

    @Test func decoderControlFrameErrorsCloseWith1002() throws {
        for frame in [wire(0x09, [1]), wire(0x89, Array(repeating: 0, count: 126))] {  // fragmented ping, long ping
            let (channel, recorder) = try makeChannel(maxMessageBytes: 1000)
            try channel.writeInbound(frame)
            let reply = try written(channel)
            #expect(reply.first == 0x88)  // a final, unmasked close frame
            #expect(Array(reply.dropFirst(2).prefix(2)) == [0x03, 0xEA])  // 1002
            #expect(recorder.closed.map(\.code) == [.protocolError])
            #expect(!channel.isActive)
        }
    }
}
