#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import NIOHTTP1
import NIOPosix

/// The browser client (`web/`) served at `/`; a page `NAME.html` is also
/// served at `/NAME`.
///
/// Reading: each request opens, `fstat`s and reads its file on NIO's shared
/// blocking-I/O pool (`NIOThreadPool.singleton`), never on an event loop, so
/// a slow disk cannot delay a match's tick. Nothing is cached in memory: the
/// client is a handful of small files that the kernel's page cache keeps
/// hot, and a deploy that replaces them is served at once without a reload
/// step. Answers carry `Cache-Control: no-cache` with an `ETag` (size and
/// modification time) and `Last-Modified`, so a browser revalidates and gets
/// a `304` without the body when nothing changed.
///
/// Safety: the path is percent-decoded once, and a request holding `..` or
/// `.` segments, a backslash, NUL or another control character is refused
/// (400). Segments starting with `.` (`.git`, `.env`) are never served. The
/// joined path is resolved with `realpath` and must stay under the root,
/// which was resolved the same way at startup, so a symlink inside `web/`
/// that points out of it serves nothing. Only regular files of at most
/// `maxFileBytes` are served; a FIFO or device under the root is not opened
/// for waiting (`O_NONBLOCK`) and is refused after `fstat`.
struct StaticFiles: Sendable {
    /// The root folder, resolved (no symlinks, no trailing slash).
    let root: String
    private let rootPrefix: String

    /// The largest file served: far above a browser client's bundle, small
    /// enough that a few concurrent downloads cannot grow memory much.
    static let maxFileBytes = 8 << 20

    /// Why a root folder cannot be served.
    struct RootError: Error, CustomStringConvertible {
        let description: String
    }

    /// Serves `root`, which must exist and be a folder.
    init(root: String) throws {
        guard let resolved = Self.realPath(root) else {
            throw RootError(description: "the web folder \"\(root)\" does not exist (\(String(cString: strerror(errno))))")
        }
        var info = stat()
        guard stat(resolved, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw RootError(description: "the web folder \"\(root)\" is not a folder")
        }
        self.root = resolved
        rootPrefix = resolved.hasSuffix("/") ? resolved : resolved + "/"
    }

    /// Answers `GET`/`HEAD` of `path` (the request target's path, still
    /// percent-encoded) off the event loop.
    func respond(method: HTTPMethod, path: String, headers: HTTPHeaders, on loop: EventLoop) -> EventLoopFuture<HTTPResponse> {
        NIOThreadPool.singleton.runIfActive(eventLoop: loop) {
            self.respond(method: method, path: path, headers: headers)
        }
    }

    /// Answers `GET`/`HEAD` of `path`, reading the file on this thread.
    func respond(method: HTTPMethod, path: String, headers: HTTPHeaders) -> HTTPResponse {
        let segments: [String]
        switch Self.segments(of: path) {
        case .success(let parsed): segments = parsed
        case .failure(let refusal): return .refusal(refusal)
        }
        let notFound = HTTPResponse.text(.notFound, "no file at \(path)")
        if segments.contains(where: { $0.hasPrefix(".") }) { return notFound }
        guard let (resolved, name) = resolve(segments), resolved == root || resolved.hasPrefix(rootPrefix) else { return notFound }

        let fd = open(resolved, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return notFound }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return notFound }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR:
            // `/docs` → `/docs/`, so the index's relative links resolve.
            let location = "/" + segments.map(Self.percentEncode).joined(separator: "/") + "/"
            return HTTPResponse(.movedPermanently, headers: ["location": location])
        default: return notFound
        }
        let size = Int(info.st_size)
        guard size <= Self.maxFileBytes else {
            return .text(.forbidden, "\(path) is larger than the \(Self.maxFileBytes >> 20) MiB this server serves")
        }

        let etag = Self.etag(size: size, modified: info.modificationTime)
        var answer = HTTPResponse(.ok, headers: [
            "content-type": Self.contentType(of: name),
            "cache-control": "no-cache",
            "etag": etag,
            "last-modified": Self.httpDate(info.modificationTime.seconds),
            "x-content-type-options": "nosniff",
        ])
        if Self.matches(etag, headers[canonicalForm: "if-none-match"]) {
            answer.status = .notModified
            answer.contentLength = size
            return answer
        }
        if method == .HEAD {
            answer.contentLength = size
            return answer
        }
        guard let body = Self.read(fd, size: size) else {
            return .text(.internalServerError, "\(path) could not be read")
        }
        answer.body = body
        return answer
    }

    // MARK: Paths

    /// The real path of `segments` under the root, or of the page
    /// `NAME.html` for a last segment `NAME` without an extension and
    /// without a file of its own (or with only a folder of that name, which
    /// may hold the page's scripts: `/inspect` serves `inspect.html` beside
    /// `inspect/`), so pages have plain addresses (`/chat` serves
    /// `chat.html`), with the name its type is told by; nil when neither
    /// exists.
    private func resolve(_ segments: [String]) -> (path: String, name: String)? {
        let path = rootPrefix + segments.joined(separator: "/")
        let last = segments.last ?? ""
        let exact = Self.realPath(path)
        if !last.contains("."), exact.map(Self.isFolder) ?? true, let page = Self.realPath(path + ".html") {
            return (page, last + ".html")
        }
        return exact.map { ($0, last) }
    }

    private static func isFolder(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }

    /// The decoded segments of a request path, with `index.html` for a
    /// folder (`/`, `/docs/`); a refusal for paths no file can have.
    static func segments(of path: String) -> Result<[String], HTTPRefusal> {
        let bad = HTTPRefusal(.badRequest, "the path \(path) is not allowed (no ., .., backslashes or control characters)")
        guard path.hasPrefix("/"), !path.contains("\\"), let decoded = PercentDecoding.decode(path[...], plusIsSpace: false) else { return .failure(bad) }
        guard !decoded.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F || $0 == "\\" }) else {
            return .failure(bad)
        }
        var segments = decoded.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard !segments.contains(where: { $0 == "." || $0 == ".." }) else { return .failure(bad) }
        if decoded.hasSuffix("/") || segments.isEmpty { segments.append("index.html") }
        return .success(segments)
    }

    /// Everything but unreserved characters escaped, for a `Location`.
    private static func percentEncode(_ segment: String) -> String {
        var out = ""
        for b in segment.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                out += "%" + String(b, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    // MARK: Files

    /// `size` bytes from `fd`, or fewer if the file shrank meanwhile; nil on
    /// a read error.
    private static func read(_ fd: Int32, size: Int) -> ByteBuffer? {
        var buffer = ByteBufferAllocator().buffer(capacity: size)
        while buffer.readableBytes < size {
            let wanted = size - buffer.readableBytes
            var result = 0
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: wanted) { space in
                result = readBytes(fd, space.baseAddress, wanted)
                return max(result, 0)
            }
            if result > 0 { continue }
            if result < 0, errno == EINTR { continue }
            if result < 0 { return nil }
            break
        }
        return buffer
    }

    /// The `Content-Type` for a file name, by its extension.
    static func contentType(of name: String) -> String {
        let ext = name.split(separator: ".", omittingEmptySubsequences: false).last.map { $0.lowercased() } ?? ""
        switch ext {
        case "html", "htm": return "text/html; charset=utf-8"
        case "js", "mjs": return "text/javascript; charset=utf-8"
        case "css": return "text/css; charset=utf-8"
        case "json", "map": return "application/json"
        case "txt": return "text/plain; charset=utf-8"
        case "png": return "image/png"
        case "svg": return "image/svg+xml"
        case "ico": return "image/x-icon"
        case "wasm": return "application/wasm"
        default: return "application/octet-stream"
        }
    }

    private static func etag(size: Int, modified: (seconds: Int, nanoseconds: Int)) -> String {
        "\"\(String(size, radix: 16))-\(String(modified.seconds, radix: 16))\(String(modified.nanoseconds, radix: 16))\""
    }

    /// Whether an `If-None-Match` list holds `etag` (weak comparison, `*`).
    private static func matches(_ etag: String, _ ifNoneMatch: [Substring]) -> Bool {
        ifNoneMatch.flatMap { $0.split(separator: ",") }.contains { candidate in
            var tag = candidate.trimmingWhitespace()
            if tag == "*" { return true }
            if tag.hasPrefix("W/") { tag = tag.dropFirst(2) }
            return tag == etag
        }
    }

    /// An HTTP date (IMF-fixdate): `Sun, 06 Nov 1994 08:49:37 GMT`.
    static func httpDate(_ seconds: Int) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ n: Int32) -> String { String(n).leftPadded(to: 2) }
        return "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }
}

private extension stat {
    var modificationTime: (seconds: Int, nanoseconds: Int) {
        #if canImport(Darwin)
        (Int(st_mtimespec.tv_sec), Int(st_mtimespec.tv_nsec))
        #else
        (Int(st_mtim.tv_sec), Int(st_mtim.tv_nsec))
        #endif
    }
}

private extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

private extension Substring {
    func trimmingWhitespace() -> Substring {
        var text = self
        while text.first == " " || text.first == "\t" { text.removeFirst() }
        while text.last == " " || text.last == "\t" { text.removeLast() }
        return text
    }
}

/// `read(2)`, outside `StaticFiles` whose own `read` would shadow it.
private func readBytes(_ fd: Int32, _ into: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(fd, into, count)
}
