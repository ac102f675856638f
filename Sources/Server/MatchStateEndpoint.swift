import Engine
import NIOCore
import NIOHTTP1

/// Who may read a match's whole state (`GET /matches/ID/state`): it shows
/// what players may not see, so it is closed unless the server runs with
/// `--dev`, or the request carries the operator's token.
public enum MatchStateAccess: Sendable, Equatable {
    case closed
    /// `--dev`: anyone who reaches the server.
    case open
    /// `Authorization: Bearer <token>`.
    case token(String)
}

extension HTTPEndpoints {
    /// How long a busy match may take to hand its state over.
    static let stateTimeout = TimeAmount.seconds(2)

    /// `GET /matches/ID/state`: the match's state after its latest tick as
    /// JSON (`MatchState`: match fields, entities by kind with their declared
    /// fields, players, events), read on the match's own thread.
    func matchState(id: String, head: HTTPRequestHead, on loop: EventLoop) -> EventLoopFuture<HTTPResponse> {
        switch stateAccess {
        case .open: break
        case .token(let token):
            guard head.headers.first(name: "authorization") == "Bearer \(token)" else { fallthrough }
        case .closed:
            return loop.makeSucceededFuture(.text(.forbidden, "a match's state is served with --dev, or to the operator's token "
                + "(Authorization: Bearer …, set with --operator-token)"))
        }
        guard let host = directory.host(id: id), !host.isAbandoned,
              let state = host.thread.submit({ MatchState(host.match).json }) else {
            return loop.makeSucceededFuture(.text(.notFound, "no match \"\(id)\" on this server (see GET /matches)"))
        }
        let answer = loop.makePromise(of: HTTPResponse.self)
        let timeout = loop.scheduleTask(in: Self.stateTimeout) {
            answer.succeed(.text(.serviceUnavailable, "match \(id) is busy: its state did not come within \(Self.stateTimeout)"))
        }
        state.hop(to: loop).whenComplete { result in
            timeout.cancel()
            switch result {
            case .success(let json): answer.succeed(.json(.ok, Array(json.utf8)))
            case .failure: answer.succeed(.text(.notFound, "match \(id) ended"))
            }
        }
        return answer.futureResult
    }
}
