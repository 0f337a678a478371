import Foundation
import Logging
import LogqIndex

/// A store of small blocks (64 records) for differential tests: `records` cut into flushed segments
/// ending at each of `boundaries`, the rest left in the memtable. The caller closes it.
func segmentedStore(_ records: [LogRecord], flushedAt boundaries: [Int], name: String) async throws -> LogStore {
    let directory = "/tmp/logq-tests-\(getpid())-\(name)-\(UInt32.random(in: 0...UInt32.max))"
    let store = try LogStore(
        directory: directory,
        options: .init(mergeFanIn: 100, segment: .init(recordsPerBlock: 64, messageGroupBytes: 128)),
        logger: Logger(label: "test"))
    var start = 0
    for boundary in boundaries {
        try await store.append(Array(records[start..<boundary]))
        try await store.flush()
        start = boundary
    }
    if start < records.count { try await store.append(Array(records[start...])) }
    return store
}
