/// Where a client connects: `ws://host:port/path?query` or `wss://…`.
///
/// Parsed by hand rather than with Foundation's `URL` so the client stays
/// free of Foundation and so every refusal says what was wrong. Hosts may be
/// names, IPv4 addresses or bracketed IPv6 (`ws://[::1]:8080/play`); the port
/// defaults to 80 for `ws` and 443 for `wss`. The path keeps its query as
/// written: it goes into the HTTP request line unchanged.
public struct TickwireURL: Sendable, Hashable, CustomStringConvertible {
    /// `wss`: TLS under the WebSocket.
    public var isSecure: Bool
    /// The host as written, without brackets for IPv6.
    public var host: String
    public var port: Int
    /// Path and query, starting with `/` (`/play?game=arena`).
    public var target: String

    public init(isSecure: Bool, host: String, port: Int? = nil, target: String = "/") {
        self.isSecure = isSecure
        self.host = host
        self.port = port ?? (isSecure ? 443 : 80)
        self.target = target.hasPrefix("/") ? target : "/" + target
    }

    public init(_ text: String) throws(TickwireClientError) {
        guard let colon = text.firstIndex(of: ":"), text[colon...].hasPrefix("://") else {
            throw .badURL(text, "it has no scheme: write ws://host:port/path or wss://…")
        }
        let scheme = text[..<colon]
        switch scheme.lowercased() {
        case "ws": isSecure = false
        case "wss": isSecure = true
        default: throw .badURL(text, "the scheme is \(scheme), not ws or wss")
        }
        let rest = text[text.index(colon, offsetBy: 3)...]
        let authorityEnd = rest.firstIndex { (c: Character) in c == "/" || c == "?" || c == "#" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var target = String(rest[authorityEnd...])
        if let hash = target.firstIndex(of: "#") { target = String(target[..<hash]) }
        if target.isEmpty || target.hasPrefix("?") { target = "/" + target }
        guard !authority.contains("@") else { throw .badURL(text, "user information (user@host) is not supported") }

        var hostPart = authority
        var portPart: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw .badURL(text, "an IPv6 host lacks its closing ]") }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw .badURL(text, "unexpected \(after) after the IPv6 host") }
                portPart = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            hostPart = authority[..<colon]
            portPart = authority[authority.index(after: colon)...]
        }
        guard !hostPart.isEmpty else { throw .badURL(text, "the host is empty") }
        guard !hostPart.contains(where: { $0 == " " || $0 == "\t" }) else { throw .badURL(text, "the host contains a space") }
        host = String(hostPart)
        if let portPart {
            guard let port = Int(portPart), (1...65_535).contains(port) else {
                throw .badURL(text, "the port \(portPart.isEmpty ? "is empty" : "\(portPart) is not 1...65535")")
            }
            self.port = port
        } else {
            port = isSecure ? 443 : 80
        }
        guard !target.contains(where: { $0 == " " || $0 == "\r" || $0 == "\n" }) else {
            throw .badURL(text, "the path contains a space or line break; percent-encode it")
        }
        self.target = target
    }

    /// The path without the query.
    public var path: Substring { target.prefix { $0 != "?" } }

    /// The query's items, percent-decoded, in order (`+` stays a plus).
    public var queryItems: [(name: String, value: String)] {
        guard let mark = target.firstIndex(of: "?") else { return [] }
        return target[target.index(after: mark)...].split(separator: "&").map { item in
            let pair = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (Self.percentDecoded(pair[0]), pair.count > 1 ? Self.percentDecoded(pair[1]) : "")
        }
    }

    /// The first value of query item `name`.
    public func query(_ name: String) -> String? { queryItems.first { $0.name == name }?.value }

    /// This URL with `name=value` added to the query (percent-encoded); an
    /// item of that name already there is replaced.
    public func adding(query name: String, _ value: String) -> TickwireURL {
        var copy = self
        var base = String(path)
        var items = queryItems.filter { $0.name != name }
        items.append((name, value))
        base += "?" + items.map { Self.percentEncoded($0.name) + "=" + Self.percentEncoded($0.value) }.joined(separator: "&")
        copy.target = base
        return copy
    }

    /// The `/play` URL of `game` on the server at `self` (whose own path is
    /// ignored), for a player called `name`.
    public func play(game: String, name: String? = nil) -> TickwireURL {
        var url = TickwireURL(isSecure: isSecure, host: host, port: port, target: "/play").adding(query: "game", game)
        if let name { url = url.adding(query: "name", name) }
        return url
    }

    /// `Host` header value: the port only when it is not the scheme's default.
    public var hostHeader: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return port == (isSecure ? 443 : 80) ? h : "\(h):\(port)"
    }

    /// True when `host` is an IPv4 or IPv6 literal (TLS sends no SNI for those).
    public var hostIsAddress: Bool {
        if host.contains(":") { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { UInt8($0) != nil }
    }

    public var description: String { "\(isSecure ? "wss" : "ws")://\(hostHeader)\(target)" }

    static func percentEncoded(_ s: String) -> String {
        var out = ""
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                out += "%" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 15)]], as: UTF8.self)
            }
        }
        return out
    }

    static func percentDecoded(_ s: Substring) -> String {
        var bytes: [UInt8] = []
        var utf8 = s.utf8[...]
        while let b = utf8.popFirst() {
            if b == UInt8(ascii: "%"), utf8.count >= 2,
               let v = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(v)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(b)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
