@testable import Server
import Testing

@Suite struct PlayRequestTests {
    @Test func pathsAndQueriesBecomeTargets() throws {
        #expect(try PlayRequest.parse(uri: "/play?game=arena&name=Ann%20B")?.get()
            == PlayRequest(target: .play(game: "arena", match: nil), name: "Ann B", token: nil))
        #expect(try PlayRequest.parse(uri: "/play?game=arena&match=m1&token=a.b.c")?.get()
            == PlayRequest(target: .play(game: "arena", match: "m1"), name: "", token: "a.b.c"))
        #expect(try PlayRequest.parse(uri: "/play?resume=tok&game=arena")?.get().target == .resume(token: "tok"))
        #expect(try PlayRequest.parse(uri: "/spectate?match=m1")?.get().target == .spectate(match: "m1", follow: nil))
        // The last of repeated keys wins; `+` is a space in a query.
        #expect(try PlayRequest.parse(uri: "/play?game=a&game=b&name=x+y")?.get()
            == PlayRequest(target: .play(game: "b", match: nil), name: "x y", token: nil))
        // Other paths are not ours.
        #expect(PlayRequest.parse(uri: "/matches") == nil)
        #expect(PlayRequest.parse(uri: "/playground?game=x") == nil)
    }

    @Test func garbageGetsA400WithAReason() {
        for uri in ["/play", "/play?", "/play?game=", "/play?name=x", "/spectate", "/spectate?match=",
                    "/play?game=%", "/play?game=%4", "/play?game=%zz", "/play?game=%ff%fe",
                    "/play?game=a&name=" + String(repeating: "x", count: 257),
                    "/play?game=a&token=" + String(repeating: "t", count: 4097)] {
            guard case .failure(let refusal)? = PlayRequest.parse(uri: uri) else {
                Issue.record("\(uri.prefix(40)) was accepted")
                continue
            }
            #expect(refusal.status == .badRequest)
            #expect(!refusal.message.isEmpty)
        }
    }
}
