import Foundation
import NIOCore
import NIOHTTP1

/// One whole answer to a plain HTTP request, built before anything is
/// written. Every body the server sends is small and bounded (a match list,
/// the metrics text, a static file of at most `StaticFiles.maxFileBytes`),
/// so nothing is streamed.
///
/// `HTTPEndpoints` adds `Content-Length` and `Connection` as it writes the
/// answer, and leaves the body out for `HEAD`.
struct HTTPResponse: Sendable {
    var status: HTTPResponseStatus
    var headers: HTTPHeaders
    var body: ByteBuffer
    /// The length of the full representation when the body is not carried
    /// (a `HEAD` answer, a `304`), so `Content-Length` still tells its size;
    /// nil means the body's own length.
    var contentLength: Int?
    /// Close the connection once this is written, whatever the request asked.
    var closesConnection: Bool

    init(_ status: HTTPResponseStatus, headers: HTTPHeaders = [:], body: ByteBuffer = ByteBuffer(),
         contentLength: Int? = nil, closesConnection: Bool = false) {
        self.status = status
        self.headers = headers
        self.body = body
        self.contentLength = contentLength
        self.closesConnection = closesConnection
    }

    /// A plain-text answer: `message` on one line (line breaks become
    /// spaces), then a newline so it reads well from `curl`.
    static func text(_ status: HTTPResponseStatus, _ message: String) -> HTTPResponse {
        let line = message.split(whereSeparator: \.isNewline).joined(separator: " ")
        return HTTPResponse(status, headers: ["content-type": "text/plain; charset=utf-8"],
                            body: ByteBuffer(string: line + "\n"))
    }

    /// The answer to a request we will not serve, with its reason as text.
    static func refusal(_ refusal: HTTPRefusal) -> HTTPResponse { text(refusal.status, refusal.message) }

    /// A JSON answer of `bytes`, already encoded.
    static func json(_ status: HTTPResponseStatus, _ bytes: some Collection<UInt8>) -> HTTPResponse {
        HTTPResponse(status, headers: ["content-type": "application/json"], body: ByteBuffer(bytes: bytes))
    }

    /// `value` as JSON (keys sorted, so answers compare as text).
    static func json(_ status: HTTPResponseStatus, encoding value: some Encodable) -> HTTPResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return json(status, try encoder.encode(value))
        } catch {
            return text(.internalServerError, "could not encode the answer: \(error)")
        }
    }

    /// The head to write for `request`: the status with `Content-Length`
    /// always, and `Connection: close` when the connection will close (or
    /// `keep-alive` for an HTTP/1.0 client that asked to keep it).
    func head(for request: HTTPRequestHead, keepAlive: Bool) -> HTTPResponseHead {
        var headers = headers
        headers.replaceOrAdd(name: "content-length", value: String(contentLength ?? body.readableBytes))
        if !keepAlive {
            headers.replaceOrAdd(name: "connection", value: "close")
        } else if request.version < .http1_1 {
            headers.replaceOrAdd(name: "connection", value: "keep-alive")
        }
        return HTTPResponseHead(version: request.version, status: status, headers: headers)
    }
}

private extension HTTPVersion {
    static func < (lhs: HTTPVersion, rhs: HTTPVersion) -> Bool {
        (lhs.major, lhs.minor) < (rhs.major, rhs.minor)
    }
}
