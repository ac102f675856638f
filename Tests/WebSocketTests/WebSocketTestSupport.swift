import NIOCore
import NIOEmbedded
import NIOWebSocket
import Testing

@testable import WebSocket

/// Frames as a peer would send them: masked (with the key applied to the
/// payload, as on the wire) when the peer is a client.
struct Peer {
    var masks: Bool
    var key: WebSocketMaskingKey = [0x37, 0xFA, 0x21, 0x3D]

    static let client = Peer(masks: true)
    static let server = Peer(masks: false)

    func frame(
        _ opcode: WebSocketOpcode,
        _ bytes: [UInt8] = [],
        fin: Bool = true,
        rsv1: Bool = false,
        rsv2: Bool = false,
        rsv3: Bool = false
    ) -> WebSocketFrame {
        var data = ByteBuffer(bytes: bytes)
        if masks { data.webSocketMask(key) }
        return WebSocketFrame(
            fin: fin, rsv1: rsv1, rsv2: rsv2, rsv3: rsv3, opcode: opcode,
            maskKey: masks ? key : nil, data: data
        )
    }

    func text(_ string: String, fin: Bool = true) -> WebSocketFrame {
        frame(.text, Array(string.utf8), fin: fin)
    }

    func close(code: UInt16?, reason: [UInt8] = []) -> WebSocketFrame {
        var bytes: [UInt8] = []
        if let code { bytes = [UInt8(code >> 8), UInt8(code & 0xFF)] }
        return frame(.connectionClose, bytes + reason)
    }
}

/// The code and reason of a close frame we sent (its data unmasked: see
/// `decodedFrames`, or a frame of an `Action`, which is not masked yet).
func closeBody(_ frame: WebSocketFrame) -> (code: UInt16?, reason: String)? {
    guard frame.opcode == .connectionClose else { return nil }
    var data = frame.data
    guard let code = data.readInteger(as: UInt16.self) else { return (nil, "") }
    return (code, data.readString(length: data.readableBytes) ?? "<not UTF-8>")
}

extension WebSocketConnection.Action {
    /// The close code of the frame this action sends, if it closes.
    var sentCloseCode: UInt16? {
        switch self {
        case .close(let frame?, _), .awaitClose(let frame?, _): closeBody(frame)?.code
        default: nil
        }
    }

    var isFailure: Bool {
        if case .close(.some, let report) = self { return !report.initiatedByPeer }
        return false
    }

    var deliveredMessage: WebSocketMessage? {
        if case .deliver(let message) = self { return message }
        return nil
    }
}

let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000)

func connection(
    _ role: WebSocketConfiguration.Role = .server,
    maxMessageBytes: Int = 1 << 20,
    acceptsText: Bool = true,
    pingInterval: TimeAmount? = nil
) -> WebSocketConnection {
    let configuration = WebSocketConfiguration(
        role: role, maxMessageBytes: maxMessageBytes, acceptsText: acceptsText, pingInterval: pingInterval
    )
    return WebSocketConnection(configuration: configuration, now: t0)
}

/// Records what reaches the handler after `WebSocketHandler`.
final class Recorder: ChannelInboundHandler {
    typealias InboundIn = WebSocketMessage
    typealias OutboundOut = WebSocketOutbound

    var messages: [WebSocketMessage] = []
    var closed: [WebSocketClosed] = []
    var errors: [any Error] = []
    var inactive = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        messages.append(unwrapInboundIn(data))
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? WebSocketClosed { closed.append(event) }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        errors.append(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        inactive = true
    }
}

/// An active EmbeddedChannel with `WebSocketHandler` and a `Recorder`.
struct HandlerHarness {
    let channel: EmbeddedChannel
    let recorder = Recorder()
    var loop: EmbeddedEventLoop { channel.embeddedEventLoop }

    init(_ configuration: WebSocketConfiguration) throws {
        channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(WebSocketHandler(configuration: configuration))
        try channel.pipeline.syncOperations.addHandler(recorder)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
    }

    func receive(_ frame: WebSocketFrame) throws {
        try channel.writeInbound(frame)
    }

    func sent() throws -> [WebSocketFrame] {
        try decodedFrames(channel)
    }

    @discardableResult
    func write(_ outbound: WebSocketOutbound) -> EventLoopFuture<Void> {
        channel.writeAndFlush(outbound)
    }
}

extension WebSocketConnection.Send {
    struct Refused: Error {}

    /// The frame to write (decoded from its bytes), or a thrown `Refused`.
    func get() throws -> WebSocketFrame {
        guard case .write(let bytes) = self else { throw Refused() }
        let frames = try decodedFrames([bytes])
        guard frames.count == 1 else { throw Refused() }
        return frames[0]
    }
}

/// The frames in bytes `WebSocketHandler` wrote, as a peer reads them:
/// decoded by NIO's decoder, with their payloads unmasked (the key stays,
/// to tell whether a frame was masked). Bytes left over that are not a
/// whole frame fail the test.
func decodedFrames(_ buffers: [ByteBuffer]) throws -> [WebSocketFrame] {
    let reader = EmbeddedChannel(handler: ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: 1 << 24)))
    defer { _ = try? reader.finish() }
    for buffer in buffers { try reader.writeInbound(buffer) }
    var frames: [WebSocketFrame] = []
    while let frame = try reader.readInbound(as: WebSocketFrame.self) {
        frames.append(WebSocketFrame(fin: frame.fin, opcode: frame.opcode, maskKey: frame.maskKey, data: frame.unmaskedData))
    }
    return frames
}

/// The frames written to `channel` so far (`decodedFrames`).
func decodedFrames(_ channel: EmbeddedChannel) throws -> [WebSocketFrame] {
    var buffers: [ByteBuffer] = []
    while let buffer = try channel.readOutbound(as: ByteBuffer.self) { buffers.append(buffer) }
    return try decodedFrames(buffers)
}
