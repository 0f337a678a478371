import Foundation
import Logging
import LogqIndex
import LogqIngest
import LogqParsers

/// The storage engine alone: already-parsed records through WAL, memtable and flush into segments,
/// with the CPU time it took (user + system, all threads), so the figure per core is honest on a
/// machine where the commit and flush threads run beside the caller.
struct StoreFigures {
    var records: Int
    var rawBytes: Int
    /// Until every batch was durable in the WAL (before the final flush to segments).
    var committedSeconds: Double
    var seconds: Double
    var cpuSeconds: Double
    var zstdSeconds: Double
    /// One segment file of every record, written alone (the best of a few rounds, CPU seconds).
    var segmentSeconds: Double

    static func measure(corpus: ArraySlice<UInt8>, work: String, segmentRounds: Int) async throws -> StoreFigures {
        let decoder = LineDecoder(source: "bench")
        var records: [LogRecord] = []
        var framer = LineFramer()
        corpus.withUnsafeBytes { bytes in
            framer.feedLines(bytes) { line, length in
                records.append(decoder.decode(line, receivedAt: 0, originalLength: length))
            }
        }
        // The flush's own work (sort, index, blocks, compression, one file) timed alone, best of
        // `segmentRounds`: steadier than the whole store's figure on a shared machine, for comparing changes.
        let writer = SegmentWriter()
        let segmentPath = work + "/segment-bench.seg"
        var segmentSeconds = Double.infinity
        for _ in 0..<max(1, segmentRounds) {
            let started = cpuTime()
            _ = try writer.write(records, to: segmentPath)
            segmentSeconds = min(segmentSeconds, cpuTime() - started)
        }
        try? FileManager.default.removeItem(atPath: segmentPath)

        let directory = work + "/store-bench"
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        let store = try LogStore(directory: directory, logger: logger)
        let cpuBefore = cpuTime()
        let start = DispatchTime.now().uptimeNanoseconds
        let batch = 2000
        var tickets: [CommitTicket] = []
        for first in stride(from: 0, to: records.count, by: batch) {
            tickets.append(store.enqueue(Array(records[first..<min(first + batch, records.count)])))
            if tickets.count >= 16 { try await tickets.removeFirst().wait() }
        }
        for ticket in tickets { try await ticket.wait() }
        let committed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        try await store.flush()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let cpuSeconds = cpuTime() - cpuBefore
        store.close()

        // zstd compresses exactly the bytes the store loaded.
        let rawPath = work + "/store-bench.jsonl"
        try writeRawFile(Array(corpus), to: rawPath)
        defer { try? FileManager.default.removeItem(atPath: rawPath) }
        let zstdStart = DispatchTime.now().uptimeNanoseconds
        _ = try runProcess("/usr/bin/zstd", ["-3", "-q", "-f", "-T1", rawPath, "-o", rawPath + ".zst"])
        defer { try? FileManager.default.removeItem(atPath: rawPath + ".zst") }
        let zstdSeconds = Double(DispatchTime.now().uptimeNanoseconds - zstdStart) / 1e9
        return StoreFigures(
            records: records.count, rawBytes: corpus.count, committedSeconds: committed, seconds: seconds,
            cpuSeconds: cpuSeconds,
            zstdSeconds: zstdSeconds, segmentSeconds: segmentSeconds)
    }

    func print() {
        let perCore = Double(records) / cpuSeconds
        let megabytesPerCore = Double(rawBytes) / cpuSeconds / 1e6
        let zstdRate = Double(rawBytes) / zstdSeconds / 1e6
        Swift.print("\nstore alone (parsed records → WAL → memtable → segments), \(records) records:")
        Swift.print(
            "  \(String(format: "%.2f", seconds)) s wall, \(String(format: "%.2f", cpuSeconds)) s CPU: "
                + "\(String(format: "%.0f", perCore)) records/s per core, \(String(format: "%.1f", megabytesPerCore)) MB/s per core"
        )
        Swift.print(
            "  WAL commits alone: \(String(format: "%.0f", Double(records) / committedSeconds)) records/s; "
                + "the rest is the flush (sort, inverted index, blocks, zstd) on its one thread")
        Swift.print(
            "  one segment of them written alone (index, blocks, zstd): "
                + "\(String(format: "%.2f", segmentSeconds * 1e6 / Double(records))) µs of CPU per record")
        Swift.print(
            "  zstd -3 -T1 on the same bytes: \(String(format: "%.0f", zstdRate)) MB/s; store/zstd = "
                + "\(String(format: "%.3f", megabytesPerCore / zstdRate)) (target ≥ 0.167)")
    }
}

/// User plus system CPU seconds of this process, all threads.
func cpuTime() -> Double {
    var usage = rusage()
    getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec)
        + Double(usage.ru_stime.tv_usec) / 1e6
}
