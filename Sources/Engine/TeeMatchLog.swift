/// Two logs of one match, told the same things in the same order: a
/// recording to a file and the cluster's copy in PostgreSQL.
public final class TeeMatchLog: MatchLog {
    private let first: any MatchLog
    private let second: any MatchLog

    public init(_ first: any MatchLog, _ second: any MatchLog) {
        self.first = first
        self.second = second
    }

    public func begin(match: Match, files: [LoadedGameFile]) {
        first.begin(match: match, files: files)
        second.begin(match: match, files: files)
    }

    public func record(command: MatchCommand, outcome: MatchSession.Outcome, beforeTick: Int) {
        first.record(command: command, outcome: outcome, beforeTick: beforeTick)
        second.record(command: command, outcome: outcome, beforeTick: beforeTick)
    }

    public func record(fact: MatchFact) {
        first.record(fact: fact)
        second.record(fact: fact)
    }

    public func stepped(tick: Int, checkpoint: UInt64?) {
        first.stepped(tick: tick, checkpoint: checkpoint)
        second.stepped(tick: tick, checkpoint: checkpoint)
    }

    public func flushNow() {
        first.flushNow()
        second.flushNow()
    }

    public func end(tick: Int, hash: UInt64?, outcome: String) {
        first.end(tick: tick, hash: hash, outcome: outcome)
        second.end(tick: tick, hash: hash, outcome: outcome)
    }
}
