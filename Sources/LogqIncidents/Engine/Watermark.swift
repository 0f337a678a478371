/// How far event time has surely advanced: the least of each active source's newest record. A source that
/// has sent nothing for a while (a file read to its end, a quiet host) stops holding it back; when every
/// source is quiet, the newest record of all is the watermark.
struct Watermark {
    private var sources: [String: (newest: Int64, arrival: Double)] = [:]

    mutating func saw(source: String, time: Int64, arrival: Double) {
        let newest = max(sources[source]?.newest ?? time, time)
        sources[source] = (newest, arrival)
    }

    func value(now: Double, idleAfter: Double) -> Int64? {
        guard !sources.isEmpty else { return nil }
        let active = sources.values.filter { now - $0.arrival < idleAfter }
        if active.isEmpty { return sources.values.map(\.newest).max() }
        return active.map(\.newest).min()
    }
}
