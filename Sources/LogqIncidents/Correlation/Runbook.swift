/// The policy's known causes and first actions, shown on an incident whose signals match.
enum Runbook {
    private struct Entry: Sendable {
        var cause: String
        var actions: [String]
        var matches: @Sendable (SignalState) -> Bool
    }

    private static func says(_ signal: SignalState, _ words: [String]) -> Bool {
        signal.samples.contains { line in words.contains { line.text.localizedCaseInsensitiveContains($0) } }
    }

    private static let entries: [Entry] = [
        Entry(
            cause: "API slow because of slow SQL",
            actions: [
                "Find the slowest statements (logq 'service:mysql query_time:>=10 | top 10 by (sql_fingerprint)')",
                "EXPLAIN them; optimize the query or add an index",
                "Look for a long transaction holding locks (SHOW ENGINE INNODB STATUS) and end it",
            ],
            matches: { signal in
                if case .some = signal.rules.first(where: { $0.contains("slow") }) { return true }
                return says(signal, ["Lock wait timeout", "Deadlock found"])
            }),
        Entry(
            cause: "API slow because of cache misses",
            actions: ["Check the cache hit ratio and evictions", "Warm the cache; check key expiry settings"],
            matches: { says($0, ["cache miss", "hit=false"]) }),
        Entry(
            cause: "Resource exhaustion",
            actions: [
                "Check CPU, memory, disk and file descriptors on the hosts involved",
                "Scale out or raise the limit; find what consumes it",
            ],
            matches: { says($0, ["OutOfMemoryError", "Too many open files", "No space left", "GC overhead"]) }),
        Entry(
            cause: "Database connection failures",
            actions: [
                "Is the database up? (service down)", "Connections at the limit? (SHOW PROCESSLIST, max_connections)",
                "Wrong password? (Access denied in the logs)", "Network between service and database",
            ],
            matches: { signal in
                signal.key.signal.contains("db-connections")
                    || says(signal, ["Communications link failure", "Access denied for user", "Too many connections"])
            }),
        Entry(
            cause: "Network problems",
            actions: ["Check connectivity and DNS between the services", "Look at retransmits and timeouts"],
            matches: { says($0, ["Connection refused", "No route to host", "connect timed out", "UnknownHost"]) }),
        Entry(
            cause: "Service unavailable",
            actions: [
                "Is the process running? (systemctl status, container state)", "Is the port taken by another process?",
                "Load-balancer and gateway routes", "Is a dependency down?",
            ],
            matches: { signal in
                signal.key.signal.contains("silent") || signal.key.signal.contains("api-errors")
                    || says(signal, [" 502 ", " 503 ", " 504 ", "Service Unavailable"])
            }),
    ]

    static func hints(for signals: [SignalState]) -> [RunbookHint] {
        entries.filter { entry in signals.contains(where: entry.matches) }.map {
            RunbookHint(cause: $0.cause, actions: $0.actions)
        }
    }
}
