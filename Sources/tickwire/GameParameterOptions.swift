import ArgumentParser
import Engine

/// `--param key=value`, repeatable: parameters handed to `game.init`.
struct GameParameterOptions: ParsableArguments {
    @Option(name: .customLong("param"), help: "A game.init parameter as key=value (repeatable); 12 arrives as a number, true/false as booleans.")
    var params: [String] = []

    func validate() throws { _ = try parsed() }

    /// The parameters over `defaults`.
    func parsed(over defaults: [String: MatchParameter] = [:]) throws -> [String: MatchParameter] {
        var result = defaults
        for param in params {
            guard let eq = param.firstIndex(of: "="), eq != param.startIndex else {
                throw ValidationError("--param takes key=value, got '\(param)'")
            }
            result[String(param[..<eq])] = MatchParameter(parsing: String(param[param.index(after: eq)...]))
        }
        return result
    }
}
