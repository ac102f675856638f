import Foundation
import JWTKit

/// Optional player authentication: an HS256 JWT whose claims say who the
/// player is. Browsers cannot set headers on a WebSocket, so the token comes
/// in the query (`token=`) or as a subprotocol `tickwire.jwt.<token>` offered
/// beside `tickwire.2`.
///
/// Claims: `sub` (required, the account id: the same account rejoining a
/// match takes its seat back), `name` (optional display name, else `sub`),
/// `exp` and `nbf` (checked when present).
struct PlayerAuth: Sendable {
    private let keys: JWTKeyCollection

    /// A verified player.
    struct Identity: Sendable, Equatable {
        let account: String
        let name: String
    }

    struct Claims: JWTPayload {
        var sub: SubjectClaim
        var name: String?
        var exp: ExpirationClaim?
        var nbf: NotBeforeClaim?

        func verify(using algorithm: some JWTAlgorithm) async throws {
            try exp?.verifyNotExpired()
            try nbf?.verifyNotBefore()
            guard !sub.value.isEmpty, sub.value.utf8.count <= 256 else {
                throw JWTError.claimVerificationFailure(failedClaim: sub, reason: "sub must be 1...256 bytes")
            }
        }
    }

    static let subprotocolPrefix = "tickwire.jwt."

    /// HS256 needs a key at least as long as its digest.
    static let minimumSecretBytes = 32

    /// Fails for a secret shorter than `minimumSecretBytes`.
    init(secret: String) async throws {
        guard secret.utf8.count >= Self.minimumSecretBytes else {
            throw TickwireServer.StartError(description: "the JWT secret must be at least \(Self.minimumSecretBytes) bytes (HS256 keys as long as the digest); it has \(secret.utf8.count)")
        }
        keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
    }

    /// The identity in `token`, or an error saying why it is not accepted.
    func verify(_ token: String) async throws -> Identity {
        let claims = try await keys.verify(token, as: Claims.self)
        let name = claims.name.flatMap { $0.isEmpty ? nil : $0 } ?? claims.sub.value
        return Identity(account: claims.sub.value, name: name)
    }

    /// Signs claims (for tests and tools that mint tokens with the same secret).
    static func sign(secret: String, subject: String, name: String? = nil, expires: Date? = nil) async throws -> String {
        precondition(secret.utf8.count >= minimumSecretBytes, "HS256 secrets have at least 32 bytes")
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        return try await keys.sign(Claims(sub: SubjectClaim(value: subject), name: name,
                                          exp: expires.map { ExpirationClaim(value: $0) }, nbf: nil))
    }
}
