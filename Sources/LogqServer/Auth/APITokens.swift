import Crypto
import Foundation

/// What a token may do. `admin` may do everything.
public enum TokenScope: String, Sendable, CaseIterable, Comparable {
    case ingest
    case query
    case admin

    public static func < (lhs: TokenScope, rhs: TokenScope) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The API tokens logqd accepts, kept as SHA-256 digests only: the configuration's or the environment's
/// plain tokens are hashed as they are read and never kept, logged or echoed.
public struct APITokens: Sendable, Equatable {
    struct Entry: Sendable, Equatable {
        var digest: [UInt8]
        var scopes: Set<TokenScope>
    }

    var entries: [Entry] = []

    public init() {}

    public var isEmpty: Bool { entries.isEmpty }
    public var count: Int { entries.count }

    public mutating func add(token: String, scopes: Set<TokenScope>) {
        entries.append(Entry(digest: Self.digest(token), scopes: scopes))
    }

    /// `LOGQ_API_TOKENS`: `token:scope[+scope],…`, such as `s3cr3t:query+ingest,adm1n:admin`. The error
    /// names the entry by its position, never by its token.
    public static func parse(environment text: String) throws(TokenError) -> APITokens {
        var tokens = APITokens()
        for (index, entry) in text.split(separator: ",", omittingEmptySubsequences: true).enumerated() {
            guard let colon = entry.lastIndex(of: ":") else {
                throw TokenError(message: "LOGQ_API_TOKENS entry \(index + 1) has no ':scope' (token:query+ingest)")
            }
            let token = String(entry[..<colon]).trimmingCharacters(in: .whitespaces)
            let names = entry[entry.index(after: colon)...].split(separator: "+").map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            let scopes = names.compactMap(TokenScope.init(rawValue:))
            guard !token.isEmpty, !scopes.isEmpty, scopes.count == names.count else {
                throw TokenError(
                    message: "LOGQ_API_TOKENS entry \(index + 1): a token, then scopes among ingest, query, admin")
            }
            tokens.add(token: token, scopes: Set(scopes))
        }
        return tokens
    }

    /// The scopes of a presented token, or nil when it is not one of ours. Every digest is compared in
    /// full, whichever matches, so the time taken says nothing about the token.
    func scopes(of token: String) -> Set<TokenScope>? {
        let presented = Self.digest(token)
        var found: Set<TokenScope>?
        for entry in entries {
            var difference: UInt8 = 0
            for (a, b) in zip(entry.digest, presented) { difference |= a ^ b }
            if difference == 0 { found = entry.scopes }
        }
        return found
    }

    static func digest(_ token: String) -> [UInt8] { Array(SHA256.hash(data: Data(token.utf8))) }
}

public struct TokenError: Error, Equatable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
