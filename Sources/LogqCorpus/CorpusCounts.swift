/// What a generator run wrote, for exact expectations in tests and benchmarks.
public struct CorpusCounts: Codable, Equatable, Sendable {
    public var total = 0
    public var jsonBytes = 0
    public var byService: [String: Int] = [:]
    public var byLevel: [String: Int] = [:]
    /// Keyed `service/level`.
    public var byServiceLevel: [String: Int] = [:]
    /// Events whose message holds each of `CorpusGenerator.markerWords`.
    public var words: [String: Int] = [:]
    /// nginx events per status code, keyed by the code as text.
    public var byStatus: [String: Int] = [:]

    public init() {
        for word in CorpusGenerator.markerWords { words[word] = 0 }
    }

    public mutating func add(_ event: CorpusEvent, jsonLineBytes: Int = 0) {
        total += 1
        jsonBytes += jsonLineBytes
        byService[event.service, default: 0] += 1
        byLevel[event.level, default: 0] += 1
        byServiceLevel[event.service + "/" + event.level, default: 0] += 1
        for word in event.markerWords { words[word, default: 0] += 1 }
        if let status = event.fields.first(where: { $0.0 == "status" }), case .int(let code) = status.1 {
            byStatus[String(code), default: 0] += 1
        }
    }

    public func count(service: String, level: String) -> Int { byServiceLevel[service + "/" + level] ?? 0 }
}
