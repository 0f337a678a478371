/// How far event time has surely advanced: the least of each active source's newest record. A source that
/// has sent nothing for a while (a file read to its end, a quiet host) stops holding it back. When every
/// source is quiet, event time moves with the wall clock (less the idle time), so that a window with
/// nothing after it is still evaluated, and a service that stopped logging is noticed.
struct Watermark {
    private var sources: [String: (newest: Int64, arrival: Double)] = [:]

    mutating func saw(source: String, time: Int64, arrival: Double) {
        let newest = max(sources[source]?.newest ?? time, time)
        sources[source] = (newest, arrival)
    }

    /// `backlog`: records are committed that the engine has not seen yet, so no source is idle, whatever
    /// its last arrival says (a busy engine must not mistake its own lag for a quiet source).
    func value(now: Double, idleAfter: Double, backlog: Bool = false) -> Int64? {
        guard !sources.isEmpty else { return nil }
        if backlog { return sources.values.map(\.newest).min() }
        let active = sources.values.filter { now - $0.arrival < idleAfter }
        if active.isEmpty {
            let newest = sources.values.map(\.newest).max()!
            return max(newest, Int64((now - idleAfter) * 1e9))
        }
        return active.map(\.newest).min()
    }
}
