#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// One HTTP answer as read off the socket.
public struct RawHTTPAnswer: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    public func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    public var text: String { String(decoding: body, as: UTF8.self) }
}

public struct RawHTTPError: Error, CustomStringConvertible {
    public let description: String
}

/// A blocking TCP client that writes raw request bytes and parses answers
/// by `Content-Length` (every answer must carry one), with a 5 s timeout.
public final class RawHTTP {
    private let fd: Int32
    private var buffer: [UInt8] = []

    public init(port: Int) throws {
        #if canImport(Glibc)
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { close(fd); throw RawHTTPError(description: "connect failed: \(errno)") }
    }

    deinit { close(fd) }

    public func send(_ text: String) { send(Array(text.utf8)) }

    public func send(_ bytes: [UInt8]) {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { sendBytes(fd, $0.baseAddress, $0.count) }
            if n <= 0 { return }
            sent += n
        }
    }

    /// Sends `request` and reads one final answer (skipping `100 Continue`).
    public func exchange(_ request: String, head: Bool = false) throws -> RawHTTPAnswer {
        send(request)
        var answer = try readResponse(head: head)
        while answer.status == 100 { answer = try readResponse(head: head) }
        return answer
    }

    /// Reads one answer; `head` when it answers a HEAD (no body follows).
    public func readResponse(head: Bool = false) throws -> RawHTTPAnswer {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        var end: Int?
        while true {
            if buffer.count >= 4, let at = (0...(buffer.count - 4)).first(where: { Array(buffer[$0..<$0 + 4]) == separator }) {
                end = at
                break
            }
            guard fill() else { throw RawHTTPError(description: "connection ended before an answer: \(String(decoding: buffer, as: UTF8.self))") }
        }
        let lines = String(decoding: buffer[..<end!], as: UTF8.self).components(separatedBy: "\r\n")
        buffer.removeFirst(end! + 4)
        let statusParts = lines[0].split(separator: " ", maxSplits: 2)
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw RawHTTPError(description: "bad status line \(lines[0])") }
        let headers = lines.dropFirst().map { line -> (String, String) in
            let colon = line.firstIndex(of: ":") ?? line.endIndex
            return (String(line[..<colon]), line[colon...].dropFirst().trimmingCharacters(in: .whitespaces))
        }
        var answer = RawHTTPAnswer(status: status, headers: headers, body: [])
        if status == 100 || head || status == 304 { return answer }
        guard let length = answer.header("content-length").flatMap(Int.init) else {
            throw RawHTTPError(description: "answer without Content-Length: \(lines)")
        }
        while buffer.count < length {
            guard fill() else { throw RawHTTPError(description: "connection ended inside a body") }
        }
        answer.body = Array(buffer[..<length])
        buffer.removeFirst(length)
        return answer
    }

    /// Whatever arrives until the server closes (empty when it just
    /// closes); nil when it keeps the connection open past the timeout.
    public func readToEnd() -> [UInt8]? {
        while fill() {}
        guard closed else { return nil }
        defer { buffer.removeAll() }
        return buffer
    }

    private var closed = false

    private func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n == 0 || (n < 0 && errno == ECONNRESET) { closed = true }
        guard n > 0 else { return false }
        buffer += chunk[..<n]
        return true
    }
}

/// `send(2)` without SIGPIPE, outside `RawHTTP` whose own `send` would shadow it.
private func sendBytes(_ fd: Int32, _ bytes: UnsafeRawPointer?, _ count: Int) -> Int {
    #if canImport(Glibc)
    send(fd, bytes, count, Int32(MSG_NOSIGNAL))
    #else
    send(fd, bytes, count, 0)
    #endif
}
