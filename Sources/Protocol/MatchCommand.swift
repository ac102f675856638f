/// Everything that changes a match from outside, as a value.
///
/// A match's whole future is a function of its game files, seed, params and
/// options, and the ordered list of commands applied to it, each between two
/// ticks. Servers, headless runs and replays all drive a match only through
/// commands (`MatchSession.apply`), so a log of them plays the match again.
///
/// Commands carry only what the match sees: connections, clocks and links
/// stay in the layer that turned a client's message into a command.
public enum MatchCommand: Sendable, Equatable {
    /// A player asks for a seat; the match answers with the lowest free seat
    /// or a refusal (`game.join`). `account` is the JWT subject, when auth is
    /// on (informational: the same account coming back is a `resume`).
    case join(name: String, account: String?)
    /// The player's seat is freed (`game.leave` runs).
    case leave(player: Int)
    /// The player's seat moved to a new connection: its waiting inputs are
    /// dropped and its input sequence starts over.
    case resume(player: Int)
    /// One input for the player's next tick, quantized in `schema.input` order.
    case input(player: Int, sequence: UInt32, values: [Int64])
    /// A client event for the player's next tick (`game.event`): its index
    /// among the schema's client events and its fields (strings index `strings`).
    case clientEvent(player: Int, event: Int, values: [Int64], strings: StringTable)
    /// Ends the match from outside (`game.result` is asked one last time).
    case stop

    /// The player a command is about, if any.
    public var player: Int? {
        switch self {
        case .join, .stop: nil
        case .leave(let p), .resume(let p), .input(let p, _, _), .clientEvent(let p, _, _, _): p
        }
    }
}
