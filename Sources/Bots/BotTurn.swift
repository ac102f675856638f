import Engine

/// What one bot does in one tick: the input it sends, if any, and the client
/// events it sends (a chat line, a card played), in the order `think` listed
/// them. Players send both, so bots may too; each runner delivers the input
/// as an input and each event as a client event, as a network client would.
public struct BotTurn: Sendable, Equatable {
    /// The input, quantized in `schema.input` order; nil when the bot sends none.
    public var input: [Int64]?
    /// The client events, checked against `game.client_events`: every value
    /// is in its field's range and every string is UTF-8, so each encodes.
    public var clientEvents: [ClientEventMessage]

    public init(input: [Int64]?, clientEvents: [ClientEventMessage] = []) {
        self.input = input
        self.clientEvents = clientEvents
    }

    /// Nothing: no input, no event (also a failed `think`'s turn).
    public static let nothing = BotTurn(input: nil)
}
