import Foundation
import NIOSSL
import Synchronization

/// The certificate and key every TLS listener presents, swapped in place on SIGHUP: each handshake asks
/// for the current pair (NIOSSL's context callback), so new connections get the new certificate and
/// open ones keep theirs. The client CA is read once; changing it needs a restart.
final class TLSCredentials: Sendable {
    let settings: TLSSettings
    private let current: Mutex<NIOSSLContextConfigurationOverride>
    private let clientRoots: [NIOSSLCertificate]

    init(settings: TLSSettings) throws(TLSFileError) {
        self.settings = settings
        let loaded = try Self.read(settings)
        current = Mutex(Self.override(loaded.chain, loaded.key))
        clientRoots = loaded.clientRoots
    }

    /// Reads the files again; on any error the old pair stays in use and the error is returned.
    func reload() throws(TLSFileError) {
        let loaded = try Self.read(settings)
        current.withLock { $0 = Self.override(loaded.chain, loaded.key) }
    }

    /// The context of the HTTP listener: no client certificate asked for (tokens do the auth).
    func httpConfiguration() -> TLSConfiguration {
        configuration(verifyingClients: false)
    }

    /// The context of the TCP listeners: client certificates required when `client_ca` is set.
    func makeTCPContext() throws -> NIOSSLContext {
        try NIOSSLContext(configuration: configuration(verifyingClients: settings.clientCAFile != nil))
    }

    private func configuration(verifyingClients: Bool) -> TLSConfiguration {
        let initial = current.withLock { $0 }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: initial.certificateChain ?? [], privateKey: initial.privateKey!)
        configuration.minimumTLSVersion = .tlsv12
        if verifyingClients {
            configuration.certificateVerification = .noHostnameVerification
            configuration.trustRoots = .certificates(clientRoots)
        }
        configuration.sslContextCallback = { [self] _, promise in
            promise.succeed(current.withLock { $0 })
        }
        return configuration
    }

    static func read(
        _ settings: TLSSettings
    ) throws(TLSFileError) -> (chain: [NIOSSLCertificate], key: NIOSSLPrivateKey, clientRoots: [NIOSSLCertificate]) {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(settings.certificateFile)
        } catch {
            throw TLSFileError(key: "tls.certificate", path: settings.certificateFile, reason: "\(error)")
        }
        guard !chain.isEmpty else {
            throw TLSFileError(
                key: "tls.certificate", path: settings.certificateFile, reason: "no PEM certificate in it")
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: settings.keyFile, format: .pem)
        } catch {
            // NIOSSL's error names no key material; the path is the operator's own.
            throw TLSFileError(key: "tls.key", path: settings.keyFile, reason: "\(error)")
        }
        var roots: [NIOSSLCertificate] = []
        if let path = settings.clientCAFile {
            do {
                roots = try NIOSSLCertificate.fromPEMFile(path)
            } catch {
                throw TLSFileError(key: "tls.client_ca", path: path, reason: "\(error)")
            }
            guard !roots.isEmpty else {
                throw TLSFileError(key: "tls.client_ca", path: path, reason: "no PEM certificate in it")
            }
        }
        return (chain, key, roots)
    }

    private static func override(
        _ chain: [NIOSSLCertificate], _ key: NIOSSLPrivateKey
    )
        -> NIOSSLContextConfigurationOverride
    {
        var override = NIOSSLContextConfigurationOverride()
        override.certificateChain = chain.map { .certificate($0) }
        override.privateKey = .privateKey(key)
        return override
    }
}

/// A certificate, key or CA file that cannot be used.
struct TLSFileError: Error, CustomStringConvertible {
    let key: String
    let path: String
    let reason: String
    var description: String {
        "\(key): cannot use \(path) (\(reason)); give a readable PEM file"
    }
}
