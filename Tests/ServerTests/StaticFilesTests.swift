#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import NIOCore
import NIOHTTP1
@testable import Server
import Testing
import TestSupport

/// `StaticFiles` over a temporary folder laid out as
///
///     <tmp>/outside.txt                 must never be served
///     <tmp>/web/index.html, app.js, style.css, data.json, logo.png, app.wasm, notes.TXT, blob.bin
///     <tmp>/web/sub/index.html, sub/page.html
///     <tmp>/web/.env                    hidden
///     <tmp>/web/escape.txt  → ../outside.txt     symlink out of the root
///     <tmp>/web/inner.js    → app.js             symlink inside the root
///     <tmp>/web/fifo                    a FIFO
///     <tmp>/web/huge.bin                9 MiB (sparse)
@Suite struct StaticFilesTests {
    final class Tree {
        let base: URL
        var web: URL { base.appendingPathComponent("web") }

        init() throws {
            base = FileManager.default.temporaryDirectory.appendingPathComponent("tw-web-\(UUID().uuidString)")
            let web = base.appendingPathComponent("web")
            try FileManager.default.createDirectory(at: web.appendingPathComponent("sub"), withIntermediateDirectories: true)
            let files = [
                "index.html": "<h1>tickwire</h1>", "app.js": "export const x = 1;", "style.css": "body{}",
                "data.json": "{}", "logo.png": "PNG", "app.wasm": "\0asm", "notes.TXT": "hi", "blob.bin": "?",
                "sub/index.html": "<p>sub</p>", "sub/page.html": "<p>page</p>", ".env": "SECRET=1",
            ]
            for (name, text) in files { try text.write(to: web.appendingPathComponent(name), atomically: true, encoding: .utf8) }
            try "secret".write(to: base.appendingPathComponent("outside.txt"), atomically: true, encoding: .utf8)
            try FileManager.default.createSymbolicLink(atPath: web.appendingPathComponent("escape.txt").path,
                                                       withDestinationPath: "../outside.txt")
            try FileManager.default.createSymbolicLink(atPath: web.appendingPathComponent("inner.js").path,
                                                       withDestinationPath: "app.js")
            #expect(mkfifo(web.appendingPathComponent("fifo").path, 0o644) == 0)
            _ = FileManager.default.createFile(atPath: web.appendingPathComponent("huge.bin").path, contents: nil)
            #expect(truncate(web.appendingPathComponent("huge.bin").path, off_t(StaticFiles.maxFileBytes + (1 << 20))) == 0)
        }

        deinit { try? FileManager.default.removeItem(at: base) }
    }

    private func get(_ files: StaticFiles, _ path: String, method: HTTPMethod = .GET, headers: HTTPHeaders = [:]) -> HTTPResponse {
        files.respond(method: method, path: path, headers: headers)
    }

    @Test func servesIndexAndFilesWithTheirTypes() throws {
        let tree = try Tree()
        let files = try StaticFiles(root: tree.web.path)
        let index = get(files, "/")
        #expect(index.status == .ok)
        #expect(String(buffer: index.body) == "<h1>tickwire</h1>")
        #expect(index.headers.first(name: "content-type") == "text/html; charset=utf-8")
        #expect(index.headers.first(name: "cache-control") == "no-cache")
        #expect(index.headers.first(name: "x-content-type-options") == "nosniff")
        #expect(String(buffer: get(files, "/sub/").body) == "<p>sub</p>")
        #expect(String(buffer: get(files, "/sub/page.html").body) == "<p>page</p>")
        #expect(String(buffer: get(files, "//sub//page.html").body) == "<p>page</p>")
        #expect(String(buffer: get(files, "/%73ub/page.html").body) == "<p>page</p>")
        let types = ["/app.js": "text/javascript; charset=utf-8", "/style.css": "text/css; charset=utf-8",
                     "/data.json": "application/json", "/logo.png": "image/png", "/app.wasm": "application/wasm",
                     "/notes.TXT": "text/plain; charset=utf-8", "/blob.bin": "application/octet-stream"]
        for (path, type) in types {
            let answer = get(files, path)
            #expect(answer.status == .ok, "\(path)")
            #expect(answer.headers.first(name: "content-type") == type, "\(path)")
        }
        #expect(StaticFiles.contentType(of: "a.mjs") == "text/javascript; charset=utf-8")
        #expect(StaticFiles.contentType(of: "a.svg") == "image/svg+xml")
        #expect(StaticFiles.contentType(of: "favicon.ico") == "image/x-icon")
        #expect(StaticFiles.contentType(of: "app.js.map") == "application/json")
        // A symlink that stays inside the root is followed.
        #expect(String(buffer: get(files, "/inner.js").body) == "export const x = 1;")
    }

    @Test func headCarriesTheLengthButNoBody() throws {
        let tree = try Tree()
        let answer = get(try StaticFiles(root: tree.web.path), "/app.js", method: .HEAD)
        #expect(answer.status == .ok)
        #expect(answer.body.readableBytes == 0)
        #expect(answer.contentLength == "export const x = 1;".utf8.count)
    }

    @Test func anUnchangedFileIsNotSentAgain() throws {
        let tree = try Tree()
        let files = try StaticFiles(root: tree.web.path)
        let first = get(files, "/app.js")
        let etag = try #require(first.headers.first(name: "etag"))
        #expect(first.headers.first(name: "last-modified")?.hasSuffix(" GMT") == true)
        for header in [etag, "W/\(etag)", "\"other\", \(etag)", "*"] {
            let again = get(files, "/app.js", headers: ["if-none-match": header])
            #expect(again.status == .notModified, "\(header)")
            #expect(again.body.readableBytes == 0)
        }
        #expect(get(files, "/app.js", headers: ["if-none-match": "\"other\""]).status == .ok)
        // A changed file has another tag.
        try "export const x = 22;".write(to: tree.web.appendingPathComponent("app.js"), atomically: true, encoding: .utf8)
        let changed = get(files, "/app.js", headers: ["if-none-match": etag])
        #expect(changed.status == .ok)
        #expect(String(buffer: changed.body) == "export const x = 22;")
    }

    @Test func traversalAndOddPathsAreRefused() throws {
        let tree = try Tree()
        let files = try StaticFiles(root: tree.web.path)
        let malformed = ["/../outside.txt", "/%2e%2e/outside.txt", "/%2E%2E%2Foutside.txt", "/sub/..%2f..%2foutside.txt",
                         "/sub/../../outside.txt", "/./index.html", "/..\\outside.txt", "/%5c..%5coutside.txt",
                         "/index.html%00.js", "/%0aindex.html", "/%zz", "/%e2%28", "relative.txt"]
        for path in malformed {
            let answer = get(files, path)
            #expect(answer.status == .badRequest, "\(path)")
            #expect(!String(buffer: answer.body).contains("secret"))
        }
        let hidden = ["/escape.txt", "/.env", "/sub/.env", "/fifo", "/missing.js", "/app.js/x", "/%2eenv"]
        for path in hidden {
            let answer = get(files, path)
            #expect(answer.status == .notFound, "\(path)")
            #expect(!String(buffer: answer.body).contains("secret"))
        }
        let huge = get(files, "/huge.bin")
        #expect(huge.status == .forbidden)
        #expect(String(buffer: huge.body).contains("larger than the 8 MiB"))
    }

    /// A folder of the page's name (its scripts, as `inspect/` beside
    /// `inspect.html`) does not hide the page; the folder's files are served.
    @Test func aFolderOfThePagesNameDoesNotHideIt() throws {
        let tree = try Tree()
        let files = try StaticFiles(root: tree.web.path)
        try FileManager.default.createDirectory(at: tree.web.appendingPathComponent("sub/page"), withIntermediateDirectories: true)
        try "x".write(to: tree.web.appendingPathComponent("sub/page/main.js"), atomically: true, encoding: .utf8)
        let page = get(files, "/sub/page")
        #expect(String(buffer: page.body) == "<p>page</p>")
        #expect(page.headers.first(name: "content-type") == "text/html; charset=utf-8")
        #expect(String(buffer: get(files, "/sub/page/main.js").body) == "x")
        #expect(get(files, "/sub").status == .movedPermanently)   // a folder without a page of its name
    }

    @Test func aFolderWithoutItsSlashIsRedirected() throws {
        let tree = try Tree()
        let answer = get(try StaticFiles(root: tree.web.path), "/sub")
        #expect(answer.status == .movedPermanently)
        #expect(answer.headers.first(name: "location") == "/sub/")
    }

    @Test func aPageIsServedWithoutItsExtension() throws {
        let tree = try Tree()
        let files = try StaticFiles(root: tree.web.path)
        let page = get(files, "/sub/page")
        #expect(page.status == .ok)
        #expect(String(buffer: page.body) == "<p>page</p>")
        #expect(page.headers.first(name: "content-type") == "text/html; charset=utf-8")
        // Only for a name without an extension and without a file of its own.
        #expect(get(files, "/app").status == .notFound)
        #expect(get(files, "/sub/page.htm").status == .notFound)
        #expect(get(files, "/sub").status == .movedPermanently)
        #expect(get(files, "/.env").status == .notFound)
    }

    @Test func theRootMustBeAFolderAndIsResolved() throws {
        let tree = try Tree()
        #expect(throws: StaticFiles.RootError.self) { try StaticFiles(root: tree.base.appendingPathComponent("nope").path) }
        #expect(throws: StaticFiles.RootError.self) { try StaticFiles(root: tree.web.appendingPathComponent("app.js").path) }
        // A root reached through a symlink serves the same files, and still nothing outside.
        let link = tree.base.appendingPathComponent("link")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: "web")
        let files = try StaticFiles(root: link.path + "/")
        #expect(get(files, "/app.js").status == .ok)
        #expect(get(files, "/escape.txt").status == .notFound)
    }

    @Test func httpDates() {
        #expect(StaticFiles.httpDate(784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(StaticFiles.httpDate(0) == "Thu, 01 Jan 1970 00:00:00 GMT")
    }

    // MARK: Through HTTPEndpoints

    @Test(.timeLimit(.minutes(1))) func servedOverHTTP() async throws {
        let tree = try Tree()
        let server = try await EndpointServer(files: try StaticFiles(root: tree.web.path))
        let http = try RawHTTP(port: server.port)
        let index = try http.exchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(index.status == 200)
        #expect(index.text == "<h1>tickwire</h1>")
        let head = try http.exchange("HEAD /app.js HTTP/1.1\r\nHost: x\r\n\r\n", head: true)
        #expect(head.header("content-length") == "\("export const x = 1;".utf8.count)")
        #expect(head.header("content-type") == "text/javascript; charset=utf-8")
        let etag = try #require(head.header("etag"))
        let cached = try http.exchange("GET /app.js HTTP/1.1\r\nHost: x\r\nIf-None-Match: \(etag)\r\n\r\n")
        #expect(cached.status == 304)
        for path in ["/../outside.txt", "/%2e%2e/outside.txt", "/sub/%2e%2e/%2e%2e/outside.txt"] {
            let answer = try http.exchange("GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(answer.status == 400, "\(path)")
        }
        let escape = try http.exchange("GET /escape.txt HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(escape.status == 404)
        #expect(!escape.text.contains("secret"))
        let post = try http.exchange("POST /index.html HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        #expect(post.status == 405)
        #expect(post.header("allow") == "GET, HEAD")
        // API paths win over files of the same name.
        #expect(try http.exchange("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").header("content-type") == "application/json")
        try await server.stop()
    }
}
