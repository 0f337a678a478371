import Hummingbird
import Synchronization

/// Bearer tokens with scopes on every route but the probes. Reading (GET) needs `query`; sending logs
/// needs `ingest`; every other change (incidents, backups, retention, flush, Alertmanager's webhook)
/// needs `admin`, which may also do the rest. 401 without a valid token, 403 with a token of the wrong
/// scope; both counted, and neither says which tokens exist. With no token configured (loopback, or a
/// proxy in front), every request passes; SIGHUP may add or remove tokens.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let tokens: CurrentTokens
    let metrics: ServerMetrics

    static let open: Set<String> = ["/healthz", "/readyz"]

    static func requiredScope(method: HTTPRequest.Method, path: String) -> TokenScope? {
        if open.contains(path) { return nil }
        if method == .get || method == .head { return .query }
        if path == "/api/v1/ingest" || path == "/_bulk" || path.hasSuffix("/_bulk") { return .ingest }
        if path == "/api/v1/count" || path == "/api/v1/search" { return .query }
        return .admin
    }

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let tokens = tokens.value
        guard !tokens.isEmpty, let required = Self.requiredScope(method: request.method, path: request.uri.path)
        else {
            return try await next(request, context)
        }
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "),
            let scopes = tokens.scopes(of: String(header.dropFirst("Bearer ".count)))
        else {
            metrics.unauthorized.increment()
            throw APIError(
                status: .unauthorized,
                message: "this logqd requires a token: send Authorization: Bearer TOKEN (logq reads LOGQ_TOKEN)")
        }
        guard scopes.contains(required) || scopes.contains(.admin) else {
            metrics.forbidden.increment()
            throw APIError(
                status: .forbidden,
                message: "this token's scopes (\(scopes.sorted().map(\.rawValue).joined(separator: "+"))) do not "
                    + "include \(required.rawValue), which \(request.method) \(request.uri.path) needs")
        }
        return try await next(request, context)
    }
}

/// The tokens in force: the configuration's at start, replaced whole when SIGHUP reloads the file.
final class CurrentTokens: Sendable {
    private let tokens: Mutex<APITokens>

    init(_ tokens: APITokens) { self.tokens = Mutex(tokens) }

    var value: APITokens {
        get { tokens.withLock { $0 } }
        set { tokens.withLock { $0 = newValue } }
    }
}
