import Client
import Engine
import Foundation
import NIOCore
import NIOPosix

/// Bots or load over real sockets: `players` connections to a running
/// server's `/play?game=…&name=bot-N`, for `duration`, measuring what players
/// feel (input → snapshot latency, bytes, missed ticks) and every failure.
///
/// Two modes:
/// - `.bots`: each connection decodes the state (`ClientMirror`) and the
///   game's `bot.lua` picks its input every snapshot, one `BotBrain` per
///   match as in headless runs. Lua costs CPU: a few hundred bots per core.
/// - `.randomInputs`: no Lua, no state decoding: each connection reads only
///   snapshot headers and answers every snapshot with a random valid input,
///   packed in advance. Light enough to share a small machine with the
///   server it measures.
///
/// Connections are spread over `threads` event loops, `groupSize` at a time
/// per loop and seated together (`seatsTogether`), so the players of a match
/// share a loop and a brain. Connections open in batches (`rampPerSecond`) so
/// that hundreds of them do not stampede the server's accept queue.
public struct NetworkRun: Sendable {
    public enum Mode: Sendable {
        /// `bot.lua` of this game plays.
        case bots(GameDefinition)
        case randomInputs
    }

    /// The server, e.g. `ws://127.0.0.1:8080` (its path is ignored).
    public var server: TickwireURL
    /// The game's name on the server (`/play?game=`).
    public var game: String
    public var mode: Mode
    public var players: Int
    /// How long the full set of connections plays, after the ramp.
    public var duration: Duration
    /// Connections opened per second while ramping up.
    public var rampPerSecond = 200
    /// Players the server seats in one match (the game's `max_players`).
    public var groupSize = 16
    /// Snapshots per second the server sends (the game's `send_rate`), so
    /// that only sends that never came count as missed; nil: every tick.
    public var sendRate: Int?
    /// Seats each group of `groupSize` in one match, one group after another:
    /// the group's first connection joins by matchmaking, the others join its
    /// match by id (`&match=`) once it is welcomed, so matches are full and
    /// their bots share a brain. When false, connections open in batches and
    /// the server's matchmaking seats everyone; joins that race each other may
    /// then open more matches than needed.
    public var seatsTogether = true
    public var seed: Int64 = 1
    public var threads = ProcessInfo.processInfo.activeProcessorCount
    public var options = ClientOptions()
    /// Name prefix; connection `i` (from 1) is `bot-i`.
    public var namePrefix = "bot-"
    /// Each connection first asks the node at `server` for a seat anywhere
    /// in its cluster (`POST /matchmake`) and connects where it says
    /// (`tickwire bots --connect URL --matchmake`).
    public var clusterMatchmaking = false
    /// Played after the ramp before measuring: the report then counts only
    /// the `duration` that follows (errors are counted throughout).
    public var warmup: Duration = .zero
    /// Called as the measured window starts and as it ends (before the
    /// connections close): a benchmark samples the server's own figures here.
    public var onWindow: (@Sendable (_ edge: WindowEdge) async throws -> Void)?

    public enum WindowEdge: Sendable { case start, end }

    public init(server: TickwireURL, game: String, mode: Mode, players: Int, duration: Duration) {
        self.server = server
        self.game = game
        self.mode = mode
        self.players = players
        self.duration = duration
        if case .bots(let definition) = mode {
            groupSize = definition.maxPlayers
            sendRate = definition.sendRate
        }
        // A load run pings rarely: the snapshots keep the connection alive.
        options.pingInterval = nil
    }

    /// Plays the run; `progress` hears each second how many are joined.
    public func run(progress: (@Sendable (_ joined: Int, _ of: Int) -> Void)? = nil) async throws -> NetworkReport {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, threads))
        defer { group.shutdownGracefully { _ in } }
        let loops = Array(group.makeIterator())
        let started = ContinuousClock.now
        var options = self.options
        if server.isSecure { options.trust = .context(try options.trust.context()) }   // one TLS context for all
        var crowds: [NIOLoopBound<LoopPlayers>] = []
        for (index, loop) in loops.enumerated() {
            let settings = LoopPlayers.Settings(mode: mode, seed: SplitMix64.derive(seed, index), options: options, sendRate: sendRate)
            crowds.append(try await loop.submit { NIOLoopBound(LoopPlayers(loop: loop, settings: settings), eventLoop: loop) }.get())
        }

        // Ramp.
        var unseated = NetworkReport()
        if seatsTogether && !clusterMatchmaking {
            try await seatGroups(crowds)
        } else {
            // Batches every 50 ms.
            let batch = max(1, rampPerSecond / 20)
            var next = 0
            while next < players {
                let end = min(players, next + batch)
                for i in next..<end {
                    let crowd = crowds[(i / max(1, groupSize)) % crowds.count]
                    var url = server.play(game: game, name: "\(namePrefix)\(i + 1)")
                    if clusterMatchmaking {
                        do {
                            let ticket = try await Matchmaker.seat(game: game, at: server, options: options)
                            url = try TickwireURL(ticket.url).adding(query: "name", "\(namePrefix)\(i + 1)")
                        } catch {
                            unseated.record(error: "matchmake", "\(error)")
                            continue
                        }
                    }
                    let target = url
                    crowd.eventLoop.execute { crowd.value.connect(url: target) }
                }
                next = end
                if next < players { try await Task.sleep(for: .milliseconds(50)) }
            }
        }

        // Warm up, then measure.
        if warmup > .zero {
            try await Task.sleep(for: warmup)
            for crowd in crowds { try await crowd.eventLoop.submit { crowd.value.startMeasuring() }.get() }
        }
        try await onWindow?(.start)
        let playUntil = ContinuousClock.now + duration
        while ContinuousClock.now < playUntil {
            try await Task.sleep(for: min(.seconds(1), playUntil - ContinuousClock.now))
            if let progress {
                var joined = 0
                for crowd in crowds { joined += try await crowd.eventLoop.submit { crowd.value.joinedNow }.get() }
                progress(joined, players)
            }
        }

        try await onWindow?(.end)
        let measured = ContinuousClock.now
        for crowd in crowds { try await crowd.eventLoop.submit { crowd.value.stopMeasuring() }.get() }

        // Close everyone, then wait (a few seconds at most) for the closing handshakes.
        for crowd in crowds { crowd.eventLoop.execute { crowd.value.stop() } }
        let closeBy = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < closeBy {
            var open = 0
            for crowd in crowds { open += try await crowd.eventLoop.submit { crowd.value.openLinks }.get() }
            if open == 0 { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        var report = unseated
        for crowd in crowds { report.add(try await crowd.eventLoop.submit { crowd.value.finish() }.get()) }
        report.players = players
        report.elapsed = measured - started
        return report
    }

    /// One group after another: its first connection joins by matchmaking
    /// (which, the previous groups being full, opens a new match), then the
    /// others join that match by id. Paced to `rampPerSecond`.
    private func seatGroups(_ crowds: [NIOLoopBound<LoopPlayers>]) async throws {
        let size = max(1, groupSize)
        let started = ContinuousClock.now
        for (group, first) in stride(from: 0, to: players, by: size).enumerated() {
            let crowd = crowds[group % crowds.count]
            let leader = server.play(game: game, name: "\(namePrefix)\(first + 1)")
            let matchID = try await crowd.eventLoop.flatSubmit { crowd.value.connect(url: leader) }.get()
            let members = (first + 1..<min(players, first + size)).map { i in
                let url = server.play(game: game, name: "\(namePrefix)\(i + 1)")
                return matchID.map { url.adding(query: "match", $0) } ?? url
            }
            let joined = try await crowd.eventLoop.submit { members.map { crowd.value.connect(url: $0) } }.get()
            for future in joined { _ = try await future.get() }
            let due = started + .seconds(Double(first + size) / Double(max(1, rampPerSecond)))
            if due > ContinuousClock.now { try await Task.sleep(until: due) }
        }
    }
}
