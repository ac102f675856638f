import Client
import Engine
import Foundation
import Lua
@testable import Server
import Testing
import TestSupport

/// Every attack of `SandboxAttack.all` in a live server, a few at a time,
/// beside a healthy match with a player in it: each attack's match ends
/// (or, for the harmless ones, plays on), the healthy match keeps every
/// tick, `/healthz`, `/matches` and matchmaking keep answering, memory stays
/// bounded, no match needs the hard limit, and shutdown is prompt.
@Suite(.timeLimit(.minutes(5))) struct SandboxAttackLiveTests {
    @Test func everyAttackBesideAHealthyMatch() async throws {
        let attacks = SandboxAttack.all
        var files: [String: String] = [:]
        for (i, attack) in attacks.enumerated() {
            for (name, text) in attack.folder { files["attack\(i)/\(name)"] = text }
        }
        let live = try await LiveServer(files: files) { config in
            config.match.limits = LuaLimits(memoryBytes: 64 << 20, timeLimit: .milliseconds(100))
            config.match.failurePolicy = .endMatch(afterFailures: 1)
        }
        let http = try RawHTTP(port: live.port)
        let rssBefore = residentBytes() ?? 0

        let ann = try await live.connect("/play?game=echo", name: "Ann")
        _ = try await ann.welcome
        let watcher = Task { () -> (ticks: Int, gaps: [String]) in
            var last: Int?
            var ticks = 0
            var gaps: [String] = []
            while !Task.isCancelled, let (header, _) = try? await ann.nextSnapshot() {
                if let last, header.tick != last + 1 { gaps.append("\(last) → \(header.tick)") }
                last = header.tick
                ticks += 1
            }
            return (ticks, gaps)
        }

        for batch in stride(from: 0, to: attacks.count, by: 4) {
            let indices = Array(batch..<min(batch + 4, attacks.count))
            var hosts: [(Int, MatchHost)] = []
            for i in indices {
                hosts.append((i, try await live.server.directory.create(game: "attack\(i)").get()))
            }
            for (i, host) in hosts {
                let attack = attacks[i]
                let deadline = ContinuousClock.now + .seconds(30)
                if attack.outcome == .survives {
                    while host.summary.tick < 15, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
                    #expect(live.server.directory.host(id: host.id) != nil, "\(attack.name) should play on")
                } else {
                    while live.server.directory.host(id: host.id) != nil, ContinuousClock.now < deadline {
                        try await Task.sleep(for: .milliseconds(20))
                    }
                    #expect(live.server.directory.host(id: host.id) == nil, "\(attack.name) was not stopped")
                }
            }
            #expect(try http.exchange("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").status == 200)
            #expect(try http.exchange("GET /matches HTTP/1.1\r\nHost: x\r\n\r\n").status == 200)
            let joiner = try await live.connect("/play?game=fast", name: "Joe")
            _ = try await joiner.welcome
            _ = await joiner.close()
        }

        watcher.cancel()
        _ = await ann.close()
        let (ticks, gaps) = await watcher.value
        #expect(ticks > 30)
        #expect(gaps.isEmpty, "the healthy match skipped ticks: \(gaps)")
        #expect(live.server.metrics.exposition().text.contains("tickwire_matches_abandoned_total 0"),
                "an attack needed the hard limit")
        let grown = (residentBytes() ?? 0) - rssBefore
        #expect(grown < 512 << 20, "the server grew by \(grown >> 20) MiB")
        let started = ContinuousClock.now
        await live.stop()
        #expect(ContinuousClock.now - started < .seconds(10))
    }
}

private extension Array where Element == UInt8 {
    var text: String { String(decoding: self, as: UTF8.self) }
}
