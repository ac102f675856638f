import Client
import Foundation
import Testing

/// `wss://` against a live server with a certificate made for the test:
/// trusted by its CA file, trusted blindly, or refused by the system roots.
@Suite(.timeLimit(.minutes(1)), .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl")))
struct ClientTLSTests {
    /// A self-signed certificate for 127.0.0.1 and its key, in a temporary folder.
    final class Certificate {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tw-tls-\(UUID().uuidString)")
        var certificate: String { folder.appendingPathComponent("cert.pem").path }
        var key: String { folder.appendingPathComponent("key.pem").path }

        init() throws {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let openssl = Process()
            openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
            openssl.arguments = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                                 "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                                 "-days", "1", "-keyout", key, "-out", certificate]
            openssl.standardOutput = FileHandle.nullDevice
            openssl.standardError = FileHandle.nullDevice
            try openssl.run()
            openssl.waitUntilExit()
            guard openssl.terminationStatus == 0 else { throw CertificateError() }
        }

        struct CertificateError: Error {}

        deinit { try? FileManager.default.removeItem(at: folder) }
    }

    @Test func wssWithTheServersCertificateAuthority() async throws {
        let cert = try Certificate()
        let live = try await LiveServer { $0.tlsCertificate = cert.certificate; $0.tlsKey = cert.key }
        defer { Task { await live.stop() } }
        let url = "wss://127.0.0.1:\(live.port)/play?game=arena"
        let trusted = try await TickwireConnection.connect(url, name: "Ann", options: ClientOptions(trust: .certificateAuthorities([cert.certificate])))
        #expect(try await trusted.welcome.playerID >= 1)
        let blind = try await TickwireConnection.connect(url, name: "Bob", options: ClientOptions(trust: .noVerification))
        #expect(try await blind.welcome.playerID >= 1)
        await trusted.close()
        await blind.close()
    }

    @Test func wssRefusesAnUnknownCertificate() async throws {
        let cert = try Certificate()
        let live = try await LiveServer { $0.tlsCertificate = cert.certificate; $0.tlsKey = cert.key }
        defer { Task { await live.stop() } }
        do {
            _ = try await TickwireConnection.connect("wss://127.0.0.1:\(live.port)/play?game=arena")
            Issue.record("a self-signed certificate was trusted by the system roots")
        } catch let error as TickwireClientError {
            #expect(error.isHandshakeFailure)
            #expect(error.description.hasPrefix("TLS"), "\(error)")
        }
    }

    @Test func aMissingCertificateAuthorityFileIsAClearError() async throws {
        do {
            _ = try await TickwireConnection.connect("wss://127.0.0.1:1/play?game=arena",
                                                     options: ClientOptions(trust: .certificateAuthorities(["/nonexistent/ca.pem"])))
            Issue.record("connected without a CA file")
        } catch let error as TickwireClientError {
            #expect(error.description.contains("/nonexistent/ca.pem"))
        }
    }
}
