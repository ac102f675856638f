import Client
import Testing

@Suite struct ClientURLTests {
    @Test func parsesHostPortAndTarget() throws {
        let url = try TickwireURL("ws://127.0.0.1:8080/play?game=arena&name=ana")
        #expect(!url.isSecure)
        #expect(url.host == "127.0.0.1")
        #expect(url.port == 8080)
        #expect(url.target == "/play?game=arena&name=ana")
        #expect(url.path == "/play")
        #expect(url.query("game") == "arena")
        #expect(url.query("name") == "ana")
        #expect(url.hostIsAddress)
        #expect(url.hostHeader == "127.0.0.1:8080")
    }

    @Test func defaultPortsAndPaths() throws {
        let plain = try TickwireURL("ws://example.com")
        #expect(plain.port == 80)
        #expect(plain.target == "/")
        #expect(plain.hostHeader == "example.com")
        #expect(!plain.hostIsAddress)
        let secure = try TickwireURL("WSS://example.com?game=arena#ignored")
        #expect(secure.isSecure)
        #expect(secure.port == 443)
        #expect(secure.target == "/?game=arena")
        #expect(secure.description == "wss://example.com/?game=arena")
    }

    @Test func bracketedIPv6() throws {
        let url = try TickwireURL("ws://[::1]:9000/play")
        #expect(url.host == "::1")
        #expect(url.port == 9000)
        #expect(url.hostIsAddress)
        #expect(url.hostHeader == "[::1]:9000")
    }

    @Test(arguments: [
        "127.0.0.1:8080/play", "http://example.com/", "ws://", "ws://:80/", "ws://host:0/", "ws://host:70000/",
        "ws://host:port/", "ws://[::1/", "ws://user@host/", "ws://host/a b",
    ])
    func refusesBadURLs(_ text: String) {
        #expect(throws: TickwireClientError.self) { try TickwireURL(text) }
    }

    @Test func badURLErrorsSayWhy() {
        do {
            _ = try TickwireURL("http://example.com/")
            Issue.record("accepted http")
        } catch {
            #expect(error.description.contains("not ws or wss"))
            #expect(error.isHandshakeFailure)
        }
    }

    @Test func queryItemsAreEncodedAndReplaced() throws {
        let base = try TickwireURL("ws://h:1/anything?x=1")
        let play = base.play(game: "arena", name: "bot 1&co")
        #expect(play.target == "/play?game=arena&name=bot%201%26co")
        #expect(play.query("name") == "bot 1&co")
        let renamed = play.adding(query: "name", "é")
        #expect(renamed.target == "/play?game=arena&name=%C3%A9")
        #expect(renamed.query("name") == "é")
        #expect(renamed.queryItems.count == 2)
    }

    @Test func tokenTravelsAsASubprotocol() {
        #expect(ClientOptions().subprotocols == ["tickwire.2"])
        #expect(ClientOptions(token: "abc.def.ghi").subprotocols == ["tickwire.2", "tickwire.jwt.abc.def.ghi"])
    }
}
