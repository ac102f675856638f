import NIOHTTP1

/// Where a plain HTTP request goes, decided from its method and target
/// alone (before its body arrives), so the body's limit and the answer can
/// depend on it.
extension HTTPEndpoints {
    /// What a request asks for, from its method and target alone.
    enum Route: Equatable {
        case listMatches(query: Substring)
        case createMatch
        case matchmake
        case match(id: String)
        case matchState(id: String)
        case games
        case health
        case metrics
        case replayStatus
        case replayControl
        case notUpgraded(path: String)
        /// A static file; `path` is still percent-encoded.
        case file(path: String)
        case notAllowed(allow: String)
        case refused(HTTPRefusal)

        /// The routes whose answer depends on the request's body; every
        /// other body is counted against the limit and dropped.
        var readsBody: Bool { self == .createMatch || self == .matchmake || self == .replayControl }
    }

    static func route(_ method: HTTPMethod, _ uri: String, servesFiles: Bool) -> Route {
        guard let target = originForm(uri) else {
            return .refused(HTTPRefusal(.badRequest, "the request target must be a path such as /matches"))
        }
        let (path, query) = PlayRequest.split(uri: target)
        let reads = method == .GET || method == .HEAD
        switch path {
        case "/matches":
            return method == .POST ? .createMatch : reads ? .listMatches(query: query) : .notAllowed(allow: "GET, HEAD, POST")
        case "/matchmake":
            return method == .POST ? .matchmake : .notAllowed(allow: "POST")
        case "/games":
            return reads ? .games : .notAllowed(allow: "GET, HEAD")
        case "/healthz":
            return reads ? .health : .notAllowed(allow: "GET, HEAD")
        case "/metrics":
            return reads ? .metrics : .notAllowed(allow: "GET, HEAD")
        case "/replay":
            return method == .POST ? .replayControl : reads ? .replayStatus : .notAllowed(allow: "GET, HEAD, POST")
        case "/play", "/spectate":
            return reads ? .notUpgraded(path: path) : .notAllowed(allow: "GET")
        default:
            if path.hasPrefix("/matches/") {
                let id = path.dropFirst("/matches/".count)
                if id.hasSuffix("/state") {
                    let match = id.dropLast("/state".count)
                    guard !match.isEmpty, !match.contains("/") else { return .refused(HTTPRefusal(.notFound, "no such path \(path)")) }
                    return reads ? .matchState(id: String(match)) : .notAllowed(allow: "GET, HEAD")
                }
                guard !id.isEmpty, !id.contains("/") else { return .refused(HTTPRefusal(.notFound, "no such path \(path)")) }
                return reads ? .match(id: String(id)) : .notAllowed(allow: "GET, HEAD")
            }
            guard servesFiles else { return .refused(HTTPRefusal(.notFound, "no such path \(path)")) }
            return reads ? .file(path: path) : .notAllowed(allow: "GET, HEAD")
        }
    }

    /// The path-and-query of a request target: as sent, or taken out of the
    /// absolute form (`http://host/path`) HTTP/1.1 servers must accept.
    private static func originForm(_ uri: String) -> String? {
        if uri.hasPrefix("/") { return uri }
        for scheme in ["http://", "https://"] where uri.lowercased().hasPrefix(scheme) {
            let rest = uri.dropFirst(scheme.count)
            guard let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) else { return "/" }
            return rest[slash] == "/" ? String(rest[slash...]) : "/" + rest[slash...]
        }
        return nil
    }
}
