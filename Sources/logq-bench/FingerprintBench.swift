import Foundation
import LogqCorpus
import LogqIncidents
import LogqIndex

/// Error-template grouping on the 16 Loghub-2k samples with one configuration for all: grouping accuracy per
/// dataset and lines per second on one core, against Drain3 untuned (PyPI) in the same run.
struct FingerprintFigures {
    var rows: [(dataset: String, ours: Double, drain3: Double?)] = []
    var linesPerSecond = 0.0
    var drain3LinesPerSecond: Double?
    /// The ingest path's added work per record: the enricher (fingerprint, SQL) and the shipped rules.
    var enrichPerSecond = 0.0
    var rulesPerSecond = 0.0

    static func measure(loghub: String, python: String?, script: String) throws -> FingerprintFigures? {
        guard FileManager.default.fileExists(atPath: loghub) else {
            Swift.print("\nfingerprints: skipped, \(loghub) is absent")
            return nil
        }
        var figures = FingerprintFigures()
        var samples: [(String, [String], [String])] = []
        for dataset in LoghubSample.datasets {
            let (contents, templates) = try LoghubSample.load(dataset, from: loghub)
            samples.append((dataset, contents, templates))
        }
        var peer: [String: Any]?
        if let python {
            let output = try runProcess(python, [script, loghub])
            peer = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any]
        }
        let peerAccuracy = peer?["datasets"] as? [String: Double] ?? [:]
        for (dataset, contents, templates) in samples {
            var miner = TemplateMiner()
            let clusters = contents.map { miner.clusterIndex(of: $0) }
            // Final groups: a cluster's id after the last line (templates generalize while they are young).
            let groups = clusters.enumerated().map { line, cluster in
                cluster.map { miner.id(ofCluster: $0) } ?? "unclustered \(line)"
            }
            figures.rows.append(
                (dataset, LoghubSample.groupingAccuracy(predicted: groups, truth: templates), peerAccuracy[dataset]))
        }
        // Speed: every sample through a fresh miner, round after round (cluster creation included); best round.
        let total = samples.reduce(0) { $0 + $1.1.count }
        var best = Double.infinity
        for _ in 0..<10 {
            let started = Date()
            var sink = 0
            for (_, contents, _) in samples {
                var miner = TemplateMiner()
                for line in contents { sink &+= miner.fingerprint(of: line).utf8.count }
            }
            best = min(best, Date().timeIntervalSince(started))
            if sink == 42 { Swift.print("") }
        }
        figures.linesPerSecond = Double(total) / best
        if let lines = peer?["lines"] as? Int, let seconds = peer?["seconds"] as? Double, seconds > 0 {
            figures.drain3LinesPerSecond = Double(lines) / seconds
        }
        (figures.enrichPerSecond, figures.rulesPerSecond) = measureIngestPath()
        return figures
    }

    /// 300k generated records (4 per second of event time) through a fresh enricher, then the shipped
    /// rules; each stage on one core, timed alone.
    static func measureIngestPath() -> (Double, Double) {
        var generator = CorpusGenerator(seed: 7, eventsPerSecond: 4)
        var records = (0..<300_000).map { _ in generator.next().benchRecord() }
        let enricher = RecordEnricher()
        var started = Date()
        for index in records.indices { enricher.enrich(&records[index]) }
        let enrich = Double(records.count) / Date().timeIntervalSince(started)
        let engine = SignalEngine(policy: .defaults)
        started = Date()
        var arrival = 0.0
        for batch in stride(from: 0, to: records.count, by: 1000) {
            engine.ingest(Array(records[batch..<min(records.count, batch + 1000)]), arrival: arrival)
            arrival += 0.001
            _ = engine.advance(now: arrival)
        }
        return (enrich, Double(records.count) / Date().timeIntervalSince(started))
    }

    func print() {
        Swift.print(
            "\nerror templates (fingerprint) on Loghub-2k, one configuration for all 16 (GA = grouping accuracy):")
        Swift.print("  dataset       logq GA   Drain3 untuned GA")
        for row in rows {
            Swift.print(
                "  " + row.dataset.padding(toLength: 12, withPad: " ", startingAt: 0)
                    + String(format: "  %.4f    ", row.ours) + (row.drain3.map { String(format: "%.4f", $0) } ?? "-"))
        }
        let mean = rows.map(\.ours).reduce(0, +) / Double(max(1, rows.count))
        let peers = rows.compactMap(\.drain3)
        let peerMean = peers.isEmpty ? nil : peers.reduce(0, +) / Double(peers.count)
        Swift.print(
            "  mean          " + String(format: "%.4f    ", mean) + (peerMean.map { String(format: "%.4f", $0) } ?? "-")
        )
        var speed = "  speed: logq \(String(format: "%.0f", linesPerSecond)) lines/s on one core"
        if let drain3LinesPerSecond {
            speed += ", Drain3 \(String(format: "%.0f", drain3LinesPerSecond)) lines/s"
            speed += String(format: " (%.1f×)", linesPerSecond / drain3LinesPerSecond)
        }
        Swift.print(speed + "; target ≥ 0.86 GA untuned at ≥ 500k lines/s")
        Swift.print(
            "  ingest path, one core: enrichment \(String(format: "%.0f", enrichPerSecond)) records/s, "
                + "the shipped rules \(String(format: "%.0f", rulesPerSecond)) records/s")
    }
}

extension CorpusEvent {
    /// The record logqd stores for this event's JSON line.
    func benchRecord() -> LogRecord {
        LogRecord(
            timestamp: timestamp, level: LogLevel(parsing: level), service: service, host: host, source: "bench",
            message: message,
            fields: fields.map { name, value in
                switch value {
                case .string(let text): return Field(name, .string(text))
                case .int(let number): return Field(name, .int(Int64(number)))
                case .double(let number): return Field(name, .double(number))
                }
            })
    }
}
