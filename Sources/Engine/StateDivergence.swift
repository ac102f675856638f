/// What differs between the state a recording reached and the state its
/// replay reached, for the report a diverging replay prints:
///
///     tick 40: 3 differences
///       ship 3: x was 10.5, now 11.25
///       match.phase was 1, now 2
///       bullet 17 exists only in the recording
///
/// The recording side says "was", the replay side "now". The rules may have
/// changed between the two, so sets are matched by name, never by index:
/// kinds, fields and events by name, entities by id within a kind, players
/// by id. A kind or field declared on one side only is reported once (with
/// its entity count, for a kind), not once per entity; an entity whose kind
/// changed shows as one entity only in each side.
///
/// Differences come in a fixed order (tick, status, players, match fields,
/// kinds in the recording's schema order then the replay's new ones, events)
/// and only the first `limit` are kept; `total` counts them all, so a
/// report stays short when a change touches every entity.
///
/// Values compare as decoded, so a field that changed type but still reads
/// the same is no difference; numbers compare by bits, so NaN equals NaN
/// and `-0.0` differs from `0.0`, as in the state hash. The hashes
/// themselves are not compared: they digest the whole history, and the
/// caller has already found them to differ.
public struct StateDivergence: Sendable, CustomStringConvertible {
    /// The first differences, at most `limit` of them.
    public let differences: [Difference]
    /// How many differences there are in all (at least `differences.count`).
    public let total: Int
    /// The tick of the recording's state.
    public let tick: Int

    /// Which side of a replay a thing exists on.
    public enum Side: String, Sendable, Equatable {
        case recording, replay
    }

    /// One thing that differs. `FieldValue`s are as a client decodes them.
    public enum Difference: Sendable, Equatable, CustomStringConvertible {
        /// The two states are from different ticks.
        case tick(was: Int, now: Int)
        /// `MatchState.status` and its detail, one line each side.
        case status(was: String, now: String)
        /// A seat held by a different player, or by a player on one side only (nil: empty).
        case player(id: Int, was: String?, now: String?)
        case matchField(name: String, was: FieldValue, now: FieldValue)
        /// A match field declared on one side only.
        case matchFieldOnly(in: Side, name: String)
        /// An entity kind declared on one side only, with its live entities there.
        case kindOnly(in: Side, kind: String, entities: Int)
        /// A field of a kind declared on one side only.
        case fieldOnly(in: Side, kind: String, field: String)
        case entityOnly(in: Side, kind: String, id: UInt32)
        case entityField(kind: String, id: UInt32, field: String, was: FieldValue, now: FieldValue)
        /// The `index`-th event (0-based) of the tick differs, or is emitted
        /// on one side only (nil); each side as one line.
        case event(index: Int, was: String?, now: String?)

        public var description: String {
            switch self {
            case .tick(let was, let now): "tick was \(was), now \(now)"
            case .status(let was, let now): "status was \(was), now \(now)"
            case .player(let id, let was?, let now?): "player \(id) was \(quoted(was)), now \(quoted(now))"
            case .player(let id, let was?, nil): "player \(id) (\(quoted(was))) is seated only in the recording"
            case .player(let id, nil, let now?): "player \(id) (\(quoted(now))) is seated only in the replay"
            case .player(let id, nil, nil): "player \(id) is seated on neither side"
            case .matchField(let name, let was, let now): "match.\(name) was \(was.shown), now \(now.shown)"
            case .matchFieldOnly(let side, let name): "match.\(name) is declared only in the \(side.rawValue)"
            case .kindOnly(let side, let kind, let count):
                "kind \(kind) is declared only in the \(side.rawValue) (\(count) entit\(count == 1 ? "y" : "ies"))"
            case .fieldOnly(let side, let kind, let field): "\(kind).\(field) is declared only in the \(side.rawValue)"
            case .entityOnly(let side, let kind, let id): "\(kind) \(id) exists only in the \(side.rawValue)"
            case .entityField(let kind, let id, let field, let was, let now):
                "\(kind) \(id): \(field) was \(was.shown), now \(now.shown)"
            case .event(let index, let was?, let now?): "event \(index + 1) was \(was), now \(now)"
            case .event(let index, let was?, nil): "event \(index + 1) (\(was)) was emitted only in the recording"
            case .event(let index, nil, let now?): "event \(index + 1) (\(now)) was emitted only in the replay"
            case .event(let index, nil, nil): "event \(index + 1) was emitted on neither side"
            }
        }
    }

    /// Compares the state a recording reached with the state its replay
    /// reached; keeps the first `limit` differences (20 by default: a
    /// screenful) and counts the rest.
    public init(recorded was: MatchState, replayed now: MatchState, limit: Int = 20) {
        var list = DifferenceList(limit: max(0, limit))
        if was.tick != now.tick { list.add(.tick(was: was.tick, now: now.tick)) }
        let (statusWas, statusNow) = (was.statusLine, now.statusLine)
        if statusWas != statusNow { list.add(.status(was: statusWas, now: statusNow)) }
        Self.comparePlayers(was.players, now.players, into: &list)
        Self.compare(was.match, now.match, into: &list,
                     onlyIn: { .matchFieldOnly(in: $0, name: $1) },
                     differs: { .matchField(name: $0, was: $1, now: $2) })
        for kind in was.kinds {
            guard let other = now.kind(named: kind.name) else {
                list.add(.kindOnly(in: .recording, kind: kind.name, entities: kind.entities.count))
                continue
            }
            Self.compare(kind, other, into: &list)
        }
        for kind in now.kinds where was.kind(named: kind.name) == nil {
            list.add(.kindOnly(in: .replay, kind: kind.name, entities: kind.entities.count))
        }
        for i in 0..<max(was.events.count, now.events.count) {
            let a = was.events.indices.contains(i) ? was.events[i] : nil
            let b = now.events.indices.contains(i) ? now.events[i] : nil
            if let a, let b, a.isSame(as: b) { continue }
            list.add(.event(index: i, was: a?.line, now: b?.line))
        }
        differences = list.kept
        total = list.total
        tick = was.tick
    }

    /// No differences: the states read the same to a client.
    public var isEmpty: Bool { total == 0 }

    /// A heading line, then one indented line per difference kept, then how
    /// many more there are.
    public var description: String {
        guard total > 0 else { return "tick \(tick): no differences" }
        var lines = ["tick \(tick): \(total) difference\(total == 1 ? "" : "s")"]
        lines += differences.map { "  \($0)" }
        if total > differences.count { lines.append("  … and \(total - differences.count) more") }
        return lines.joined(separator: "\n")
    }

    // MARK: Comparing

    private static func comparePlayers(_ was: [MatchState.Player], _ now: [MatchState.Player], into list: inout DifferenceList) {
        var i = 0, j = 0
        while i < was.count || j < now.count {
            if j == now.count || (i < was.count && was[i].id < now[j].id) {
                list.add(.player(id: was[i].id, was: was[i].name, now: nil)); i += 1
            } else if i == was.count || now[j].id < was[i].id {
                list.add(.player(id: now[j].id, was: nil, now: now[j].name)); j += 1
            } else {
                if was[i].name != now[j].name { list.add(.player(id: was[i].id, was: was[i].name, now: now[j].name)) }
                i += 1; j += 1
            }
        }
    }

    /// Entities of one kind merge-joined by id (both lists are in id order),
    /// after the fields declared on one side only.
    private static func compare(_ was: MatchState.Kind, _ now: MatchState.Kind, into list: inout DifferenceList) {
        let kind = was.name
        let shared = FieldPairing(was.fieldNames, now.fieldNames)
        for name in shared.onlyInFirst { list.add(.fieldOnly(in: .recording, kind: kind, field: name)) }
        for name in shared.onlyInSecond { list.add(.fieldOnly(in: .replay, kind: kind, field: name)) }
        let (a, b) = (was.entities, now.entities)
        var i = 0, j = 0
        while i < a.count || j < b.count {
            if j == b.count || (i < a.count && a[i].id < b[j].id) {
                list.add(.entityOnly(in: .recording, kind: kind, id: a[i].id)); i += 1
            } else if i == a.count || b[j].id < a[i].id {
                list.add(.entityOnly(in: .replay, kind: kind, id: b[j].id)); j += 1
            } else {
                let id = a[i].id
                for (f, g) in shared.pairs where !a[i].fields.values[f].isSame(as: b[j].fields.values[g]) {
                    list.add(.entityField(kind: kind, id: id, field: was.fieldNames[f],
                                          was: a[i].fields.values[f], now: b[j].fields.values[g]))
                }
                i += 1; j += 1
            }
        }
    }

    /// Two named value lists (the match's fields): declared on one side
    /// only, then differing values, in the recording's order.
    private static func compare(_ was: MatchState.Fields, _ now: MatchState.Fields, into list: inout DifferenceList,
                                onlyIn: (Side, String) -> Difference, differs: (String, FieldValue, FieldValue) -> Difference) {
        let shared = FieldPairing(was.names, now.names)
        for name in shared.onlyInFirst { list.add(onlyIn(.recording, name)) }
        for name in shared.onlyInSecond { list.add(onlyIn(.replay, name)) }
        for (f, g) in shared.pairs where !was.values[f].isSame(as: now.values[g]) {
            list.add(differs(was.names[f], was.values[f], now.values[g]))
        }
    }
}

/// Keeps the first `limit` differences and counts all of them.
private struct DifferenceList {
    let limit: Int
    var kept: [StateDivergence.Difference] = []
    var total = 0

    mutating func add(_ difference: StateDivergence.Difference) {
        total += 1
        if kept.count < limit { kept.append(difference) }
    }
}

/// The fields two versions of a set have in common, matched by name:
/// `pairs` holds (index in the first, index in the second) in the first's
/// order; the rest are declared on one side only.
private struct FieldPairing {
    var pairs: [(Int, Int)] = []
    var onlyInFirst: [String] = []
    var onlyInSecond: [String] = []

    init(_ first: [String], _ second: [String]) {
        var index: [String: Int] = [:]
        for (g, name) in second.enumerated() { index[name] = g }
        for (f, name) in first.enumerated() {
            if let g = index.removeValue(forKey: name) { pairs.append((f, g)) } else { onlyInFirst.append(name) }
        }
        onlyInSecond = second.filter { index[$0] != nil }
    }
}

extension MatchState {
    /// The status and its detail on one line (the detail's first line).
    fileprivate var statusLine: String {
        guard let statusDetail else { return status }
        return status + ": " + (statusDetail.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? "")
    }
}

extension MatchState.Event {
    /// The same event: name, recipient and every field (matched by name).
    fileprivate func isSame(as other: Self) -> Bool {
        guard name == other.name, to == other.to, fields.names == other.fields.names else { return false }
        return zip(fields.values, other.fields.values).allSatisfy { $0.isSame(as: $1) }
    }

    /// `moved to everyone {by = 3, who = 1}`.
    fileprivate var line: String {
        let values = zip(fields.names, fields.values).map { "\($0) = \($1.shown)" }.joined(separator: ", ")
        return "\(name) to \(to == 0 ? "everyone" : "player \(to)") {\(values)}"
    }
}

extension FieldValue {
    /// Equal as the state hash sees numbers: by bits.
    fileprivate func isSame(as other: FieldValue) -> Bool {
        switch (self, other) {
        case (.number(let a), .number(let b)): a.bitPattern == b.bitPattern
        case (.vector(let ax, let ay, let az), .vector(let bx, let by, let bz)):
            ax.bitPattern == bx.bitPattern && ay.bitPattern == by.bitPattern && az.bitPattern == bz.bitPattern
        case (.quaternion(let ax, let ay, let az, let aw), .quaternion(let bx, let by, let bz, let bw)):
            ax.bitPattern == bx.bitPattern && ay.bitPattern == by.bitPattern
                && az.bitPattern == bz.bitPattern && aw.bitPattern == bw.bitPattern
        default: self == other
        }
    }

    /// The value in a report line: numbers as the JSON shows them, strings
    /// quoted, entity references as `entity 7` (or `none`), vectors and
    /// quaternions as `(x, y, z)` and `(x, y, z, w)`.
    fileprivate var shown: String {
        switch self {
        case .bool(let b): String(b)
        case .number(let d): shownNumber(d)
        case .string(let s): quoted(s)
        case .entity(let id): id == 0 ? "none" : "entity \(id)"
        case .vector(let x, let y, let z): "(\(shownNumber(x)), \(shownNumber(y)), \(shownNumber(z)))"
        case .quaternion(let x, let y, let z, let w): "(\(shownNumber(x)), \(shownNumber(y)), \(shownNumber(z)), \(shownNumber(w)))"
        }
    }
}

/// A number in a report: as JSON writes it, and `nan`, `inf`, `-inf` where
/// JSON has no number.
private func shownNumber(_ d: Double) -> String {
    d.isFinite ? OrderedJSON.number(d) : d.isNaN ? "nan" : d < 0 ? "-inf" : "inf"
}

/// A string in a report, quoted and escaped as JSON does, so a name with a
/// newline or a quote stays on its line and reads unambiguously.
private func quoted(_ s: String) -> String {
    var out = ""
    OrderedJSON.quote(s, to: &out)
    return out
}
