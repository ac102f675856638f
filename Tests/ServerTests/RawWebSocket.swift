import Engine
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A WebSocket client written in raw bytes, for what the real client never
/// does: send floods of bare frames, and never read. It reads nothing unless
/// asked (`autoRead` is off), so what the server sends piles up in the
/// kernel's buffers and then the server's, as with a client that stalled.
final class RawWebSocket: Sendable {
    let channel: Channel
    private let received: NIOLockedValueBox<ByteBuffer>

    /// One frame from the server (whose frames are never masked).
    struct Frame {
        var opcode: UInt8
        var payload: [UInt8]
    }

    private final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let received: NIOLockedValueBox<ByteBuffer>
        init(_ received: NIOLockedValueBox<ByteBuffer>) { self.received = received }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var bytes = unwrapInboundIn(data)
            received.withLockedValue { _ = $0.writeBuffer(&bytes) }
        }
    }

    /// Connects and sends the upgrade request for `path`; reads the response
    /// (at most `timeout`), then reads nothing more. A small `receiveBuffer`
    /// (SO_RCVBUF, bytes) makes the server's socket fill sooner.
    init(port: Int, path: String, receiveBuffer: Int? = nil, timeout: Duration = .seconds(10)) async throws {
        let received = NIOLockedValueBox(ByteBuffer())
        self.received = received
        channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.autoRead, value: false)
            .channelOption(.socketOption(.so_rcvbuf), value: receiveBuffer ?? 1 << 17)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Collector(received)) }
            }
            .connect(host: "127.0.0.1", port: port).get()
        let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            + "Sec-WebSocket-Protocol: \(ProtocolVersion.subprotocol)\r\n\r\n"
        try await channel.writeAndFlush(ByteBuffer(string: request))
        let deadline = ContinuousClock.now + timeout
        while !received.withLockedValue({ String(buffer: $0).contains("\r\n\r\n") }) {
            guard ContinuousClock.now < deadline else { throw CancellationError() }
            channel.read()
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// A masked client frame (RFC 6455 §5.2) with `payload` (≤ 125 bytes).
    static func frame(opcode: UInt8, fin: Bool = true, payload: [UInt8] = []) -> [UInt8] {
        let key: [UInt8] = [0x11, 0x22, 0x33, 0x44]
        let masked = payload.enumerated().map { $0.element ^ key[$0.offset % 4] }
        return [(fin ? 0x80 : 0) | opcode, 0x80 | UInt8(payload.count)] + key + masked
    }

    /// Sends `bytes`; false once the server has closed the connection.
    func send(_ bytes: [UInt8]) async -> Bool {
        do {
            try await channel.writeAndFlush(ByteBuffer(bytes: bytes))
            return true
        } catch {
            return false
        }
    }

    /// Starts reading again and waits, at most `timeout`, for the server to
    /// close TCP. Returns every frame the server sent after the upgrade
    /// response, and whether it was the server that closed.
    func readUntilClosed(timeout: Duration) async throws -> (frames: [Frame], closedByServer: Bool) {
        let timedOut = NIOLockedValueBox(false)
        let channel = self.channel
        let timer = channel.eventLoop.scheduleTask(in: .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000)) {
            timedOut.withLockedValue { $0 = true }
            channel.close(promise: nil)
        }
        try await channel.setOption(.autoRead, value: true).get()
        channel.read()
        try? await channel.closeFuture.get()
        timer.cancel()
        return (received.withLockedValue { Self.frames(in: $0) }, !timedOut.withLockedValue { $0 })
    }

    private static func frames(in buffer: ByteBuffer) -> [Frame] {
        var bytes = buffer
        let text = String(buffer: buffer)
        guard let end = text.range(of: "\r\n\r\n") else { return [] }
        bytes.moveReaderIndex(forwardBy: text.utf8.distance(from: text.startIndex, to: end.upperBound))
        var frames: [Frame] = []
        while let first = bytes.readInteger(as: UInt8.self), let second = bytes.readInteger(as: UInt8.self) {
            var length = Int(second & 0x7F)
            if length == 126 { length = Int(bytes.readInteger(as: UInt16.self) ?? 0) }
            if length == 127 { length = Int(bytes.readInteger(as: UInt64.self) ?? 0) }
            guard let payload = bytes.readBytes(length: length) else { break }
            frames.append(Frame(opcode: first & 0x0F, payload: payload))
        }
        return frames
    }
}

/// The resident memory of this process, in bytes (Linux: /proc/self/status).
func residentBytes() -> Int? {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
          let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "")
    else { return nil }
    return kilobytes * 1024
}
