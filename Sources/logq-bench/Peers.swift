import Foundation

/// Runs `bench/peers.py` (tantivy, SQLite FTS5, ClickHouse through chdb) on the same corpus and
/// prints its figures beside ours, as ratios.
struct PeerResult: Decodable {
    struct QueryFigures: Decodable {
        var count: Int?
        var count_ms: Double?
        var top100_ms: Double?
    }

    var peer: String
    var error: String?
    var records_per_second: Double?
    var bytes_per_record: Double?
    var queries: [String: QueryFigures]?

    static func run(python: String, script: String, corpus: String, work: String, runs: Int) -> [PeerResult] {
        let output: String
        do {
            output = try runProcess(
                python, [script, "--corpus", corpus, "--work", work + "/peers", "--runs", String(runs)])
        } catch {
            Swift.print("peers: could not run \(python) \(script): \(error)")
            return []
        }
        return output.split(separator: "\n").compactMap { line in
            try? JSONDecoder().decode(PeerResult.self, from: Data(line.utf8))
        }
    }
}

struct OurQueryFigures {
    var key: String
    var count: Int
    var countMilliseconds: Double
    var top100Milliseconds: Double
}

func printPeers(_ peers: [PeerResult], ours: [OurQueryFigures], ingest: IngestFigures, store: StoreFigures) {
    guard !peers.isEmpty else { return }
    Swift.print("\npeers on the same corpus (ratio = peer ÷ logq: above 1 means logq is faster or smaller):")
    let ourBytes = Double(ingest.segmentBytes) / Double(ingest.lines)
    let ourRate = Double(store.records) / store.cpuSeconds
    Swift.print(
        "  logq: \(String(format: "%.0f", ourRate)) records/s per core (store alone), "
            + "\(String(format: "%.1f", ourBytes)) bytes/record")
    for peer in peers {
        if let error = peer.error {
            Swift.print("  \(peer.peer): failed: \(error)")
            continue
        }
        let rate = peer.records_per_second ?? 0
        let bytes = peer.bytes_per_record ?? 0
        Swift.print(
            "  \(peer.peer): \(String(format: "%.0f", rate)) records/s (logq ×\(String(format: "%.2f", ourRate / max(rate, 1)))), "
                + "\(String(format: "%.1f", bytes)) bytes/record (peer ÷ logq \(String(format: "%.2f", bytes / ourBytes)))"
        )
        for query in ours {
            guard let figures = peer.queries?[query.key] else { continue }
            let countRatio = (figures.count_ms ?? 0) / max(query.countMilliseconds, 0.001)
            let topRatio = (figures.top100_ms ?? 0) / max(query.top100Milliseconds, 0.001)
            let agrees = figures.count == query.count ? "" : "  (peer counts \(figures.count.map(String.init) ?? "?"))"
            Swift.print(
                "    " + pad(query.key, 30) + "count " + pad(format(figures.count_ms ?? 0) + " ms", 10)
                    + pad("(×\(String(format: "%.1f", countRatio)))", 10) + "top100 "
                    + pad(format(figures.top100_ms ?? 0) + " ms", 10) + "(×\(String(format: "%.1f", topRatio)))"
                    + agrees)
        }
    }
}
