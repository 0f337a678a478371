import Foundation
import HummingbirdCore

extension URI {
    /// A query-string parameter decoded as HTML forms and `curl --data-urlencode` encode it: `+` is a
    /// space, `%2B` a plus. (`queryParameters` keeps `+`, so `q=level:error+service:order` would search
    /// for `error+service:order`.) The first occurrence wins; nil when absent.
    func formParameter(_ name: String) -> String? {
        guard let query else { return nil }
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard decodeFormComponent(parts[0]) == name else { continue }
            return parts.count > 1 ? decodeFormComponent(parts[1]) : ""
        }
        return nil
    }

    private func decodeFormComponent(_ component: Substring) -> String {
        let spaced = component.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}
