import NIOSSL

/// `tls:` in the configuration: one certificate for the listeners it names, and optionally the CA whose
/// client certificates the TCP listeners then require (their auth, since those protocols carry no token).
public struct TLSSettings: Sendable, Equatable {
    public enum Listener: String, Sendable, CaseIterable, Comparable {
        case http, tcp, syslog, beats

        public static func < (lhs: Listener, rhs: Listener) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// PEM: the server certificate, then any intermediates.
    public var certificateFile: String
    /// PEM: the certificate's private key.
    public var keyFile: String
    /// PEM: CA certificates; when set, the TCP listeners under TLS accept only clients that present a
    /// certificate signed by one of them. HTTP keeps its API tokens and asks for no client certificate.
    public var clientCAFile: String?
    /// Which listeners speak TLS (syslog over UDP never does).
    public var listeners: Set<Listener> = Set(Listener.allCases)

    public init(certificateFile: String, keyFile: String, clientCAFile: String? = nil) {
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.clientCAFile = clientCAFile
    }

    /// Whether a TCP listener authenticates its senders by client certificate.
    func authenticatesSenders(on listener: Listener) -> Bool {
        listener != .http && listeners.contains(listener) && clientCAFile != nil
    }
}

extension ServerConfiguration {
    mutating func apply(tls section: [String: Any], problems: inout [String]) {
        let known = "certificate, key, client_ca, listeners"
        for key in section.keys where !["certificate", "key", "client_ca", "listeners"].contains(key) {
            problems.append("tls.\(key): unknown key (known: \(known))")
        }
        guard let certificate = section["certificate"] as? String, let key = section["key"] as? String else {
            problems.append("tls: needs certificate: and key: (PEM files)")
            return
        }
        var settings = TLSSettings(certificateFile: certificate, keyFile: key)
        if let value = section["client_ca"] {
            if let path = value as? String {
                settings.clientCAFile = path
            } else {
                problems.append("tls.client_ca: must be the path of a PEM file of CA certificates")
            }
        }
        if let value = section["listeners"] {
            let names = value as? [String] ?? []
            let listeners = names.compactMap(TLSSettings.Listener.init(rawValue:))
            if names.isEmpty || listeners.count != names.count {
                problems.append("tls.listeners: a list among http, tcp, syslog, beats")
            } else {
                settings.listeners = Set(listeners)
            }
        }
        tls = settings
        do {
            _ = try TLSCredentials.read(settings)
        } catch {
            problems.append(error.description)
        }
    }
}
