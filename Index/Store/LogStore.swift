import Foundation
import Logging

/// The storage engine's front door: durable appends through the WAL with group commit, a memtable,
/// and immutable segments flushed by size and age.
///
/// One commit thread owns the WAL and the flushes; any number of callers append concurrently and share
/// its fsyncs. State shared with readers is guarded by `condition`.
public final class LogStore: @unchecked Sendable {
    public struct Options: Sendable {
        /// Flush the memtable to segments when it holds this many records…
        public var flushRecordCount: Int
        /// …or this many bytes of messages…
        public var flushByteCount: Int
        /// …or when its oldest record has waited this long.
        public var flushAge: Duration
        public var segment: SegmentWriter.Options

        public init(
            flushRecordCount: Int = 200_000,
            flushByteCount: Int = 64 << 20,
            flushAge: Duration = .seconds(30),
            segment: SegmentWriter.Options = SegmentWriter.Options()
        ) {
            self.flushRecordCount = flushRecordCount
            self.flushByteCount = flushByteCount
            self.flushAge = flushAge
            self.segment = segment
        }
    }

    public let directory: String
    let options: Options
    private let logger: Logger
    private let condition = NSCondition()
    private let writerFinished = DispatchSemaphore(value: 0)

    // Guarded by `condition`.
    private var pending: [PendingWrite] = []
    private var isClosing = false
    private var flushRequested: [CheckedContinuation<Void, any Error>] = []
    private var memtable: [LogRecord] = []
    private var memtableBytes = 0
    private var memtableSince: ContinuousClock.Instant?
    private var segments: [SegmentReader] = []

    // Owned by the commit thread after init.
    private var wal: WALWriter
    private var manifest: Manifest

    private struct PendingWrite {
        var records: [LogRecord]
        var continuation: CheckedContinuation<Void, any Error>
    }

    /// Opens (or creates) the store in `directory`, replaying the WAL of an unclean stop.
    public init(directory: String, options: Options = Options(), logger: Logger) throws(StorageError) {
        self.directory = directory
        self.options = options
        self.logger = logger
        let walDirectory = directory + "/" + StoreFileNames.walDirectory
        try DurableFile.createDirectories(walDirectory)
        try DurableFile.createDirectories(directory + "/" + StoreFileNames.segmentDirectory)

        manifest = try Manifest.load(from: directory + "/" + StoreFileNames.manifest)
        var opened: [SegmentReader] = []
        for summary in manifest.segments {
            opened.append(try SegmentReader(path: directory + "/" + summary.path))
        }
        segments = opened
        Self.removeOrphanSegments(in: directory, keeping: Set(manifest.segments.map(\.path)), logger: logger)

        var highestGeneration = manifest.flushedWALGeneration
        var replayed: [LogRecord] = []
        for name in DurableFile.list(walDirectory) {
            guard let generation = WALWriter.generation(ofFileName: name) else { continue }
            highestGeneration = max(highestGeneration, generation)
            let path = walDirectory + "/" + name
            if generation <= manifest.flushedWALGeneration {
                try DurableFile.remove(path)
                continue
            }
            let replay = try WALReader.replay(path: path)
            if let offset = replay.corruptionOffset {
                logger.error(
                    "WAL frame failed its checksum; records after it are not replayed",
                    metadata: ["file": "\(path)", "offset": "\(offset)", "bytes": "\(replay.discardedTailBytes)"])
            } else if replay.discardedTailBytes > 0 {
                logger.info("discarded a torn, unacknowledged WAL tail", metadata: ["bytes": "\(replay.discardedTailBytes)"])
            }
            replayed.append(contentsOf: replay.records)
        }
        wal = try WALWriter(directory: walDirectory, generation: highestGeneration + 1)
        memtable = replayed
        memtableBytes = replayed.reduce(0) { $0 + $1.approximateSize }
        if !replayed.isEmpty {
            logger.info("replayed WAL", metadata: ["records": "\(replayed.count)"])
            try flushMemtable()
        }

        let thread = Thread { [self] in self.runCommitLoop() }
        thread.name = "logq-commit"
        thread.start()
    }

    // MARK: Writing

    /// Returns once `records` are durable in the WAL (fsynced); they are visible to queries from then on.
    public func append(_ records: [LogRecord]) async throws {
        guard !records.isEmpty else { return }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            condition.lock()
            defer { condition.unlock() }
            guard !isClosing else {
                continuation.resume(throwing: StorageError.closed)
                return
            }
            pending.append(PendingWrite(records: records, continuation: continuation))
            condition.signal()
        }
    }

    /// Writes the memtable to segments now.
    public func flush() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            condition.lock()
            defer { condition.unlock() }
            guard !isClosing else {
                continuation.resume(throwing: StorageError.closed)
                return
            }
            flushRequested.append(continuation)
            condition.signal()
        }
    }

    /// Commits what is pending, flushes the memtable and stops the commit thread.
    public func close() {
        condition.lock()
        let alreadyClosing = isClosing
        isClosing = true
        condition.signal()
        condition.unlock()
        if !alreadyClosing { writerFinished.wait() }
    }

    // MARK: Reading

    /// What a query reads: the open segments and a copy of the memtable, consistent with each other.
    public func snapshot() -> StoreSnapshot {
        condition.lock()
        defer { condition.unlock() }
        return StoreSnapshot(segments: segments, memtable: memtable)
    }

    public func statistics() -> StoreStatistics {
        condition.lock()
        defer { condition.unlock() }
        return StoreStatistics(
            segmentCount: segments.count,
            segmentRecords: segments.reduce(0) { $0 + $1.recordCount },
            segmentBytes: segments.reduce(0) { $0 + $1.byteCount },
            indexBytes: segments.reduce(0) { $0 + $1.indexByteCount },
            memtableRecords: memtable.count
        )
    }

    // MARK: Commit thread

    private func runCommitLoop() {
        while true {
            condition.lock()
            while pending.isEmpty && flushRequested.isEmpty && !isClosing && !isFlushDue() {
                if let since = memtableSince {
                    let wait = (since + options.flushAge) - ContinuousClock.now
                    let seconds = Double(wait.components.seconds) + Double(wait.components.attoseconds) / 1e18
                    _ = condition.wait(until: Date(timeIntervalSinceNow: max(0.001, seconds)))
                } else {
                    condition.wait()
                }
            }
            let batch = pending
            pending.removeAll()
            let flushWaiters = flushRequested
            flushRequested.removeAll()
            let closing = isClosing
            condition.unlock()

            commit(batch)
            if closing || !flushWaiters.isEmpty || isFlushDueLocked() {
                do {
                    try flushMemtable()
                    flushWaiters.forEach { $0.resume() }
                } catch {
                    logger.error("flush failed; records stay in the WAL and memtable", metadata: ["error": "\(error)"])
                    flushWaiters.forEach { $0.resume(throwing: error) }
                }
            }
            if closing {
                condition.lock()
                let leftover = pending
                pending.removeAll()
                condition.unlock()
                leftover.forEach { $0.continuation.resume(throwing: StorageError.closed) }
                writerFinished.signal()
                return
            }
        }
    }

    private func commit(_ batch: [PendingWrite]) {
        guard !batch.isEmpty else { return }
        do {
            try wal.append(batch.lazy.flatMap(\.records))
            try wal.sync()
        } catch {
            logger.error("WAL write failed; the batch is not acknowledged", metadata: ["error": "\(error)"])
            batch.forEach { $0.continuation.resume(throwing: error) }
            return
        }
        condition.lock()
        if memtableSince == nil { memtableSince = .now }
        for write in batch {
            memtable.append(contentsOf: write.records)
            memtableBytes += write.records.reduce(0) { $0 + $1.approximateSize }
        }
        condition.unlock()
        batch.forEach { $0.continuation.resume() }
    }

    /// Caller holds `condition`.
    private func isFlushDue() -> Bool {
        guard !memtable.isEmpty else { return false }
        if memtable.count >= options.flushRecordCount || memtableBytes >= options.flushByteCount { return true }
        if let since = memtableSince, ContinuousClock.now - since >= options.flushAge { return true }
        return false
    }

    private func isFlushDueLocked() -> Bool {
        condition.lock()
        defer { condition.unlock() }
        return isFlushDue()
    }

    /// Writes the memtable to one segment per UTC day, then records them in the manifest, then drops the
    /// WAL files they cover. A crash between any two steps loses nothing: see docs/wal-format.md.
    private func flushMemtable() throws(StorageError) {
        condition.lock()
        let records = memtable
        condition.unlock()
        guard !records.isEmpty else { return }

        let coveredGeneration = wal.generation
        let walDirectory = directory + "/" + StoreFileNames.walDirectory
        wal = try WALWriter(directory: walDirectory, generation: coveredGeneration + 1)

        let byDay = Dictionary(grouping: records.sortedByTime(), by: { UTCDay(timestamp: $0.timestamp) })
        var updated = manifest
        var readers: [SegmentReader] = []
        let writer = SegmentWriter(options: options.segment)
        for day in byDay.keys.sorted() {
            let relativeDirectory = "\(StoreFileNames.segmentDirectory)/\(day)/c0"
            try DurableFile.createDirectories(directory + "/" + relativeDirectory)
            let name = Self.segmentFileName(sequence: updated.nextSegmentSequence)
            updated.nextSegmentSequence += 1
            let relativePath = relativeDirectory + "/" + name
            var summary = try writer.write(byDay[day]!, to: directory + "/" + relativePath)
            summary.path = relativePath
            updated.segments.append(summary)
            readers.append(try SegmentReader(path: directory + "/" + relativePath))
        }
        updated.flushedWALGeneration = coveredGeneration
        try updated.save(to: directory + "/" + StoreFileNames.manifest)
        manifest = updated

        condition.lock()
        segments.append(contentsOf: readers)
        memtable.removeFirst(records.count)
        memtableBytes = memtable.reduce(0) { $0 + $1.approximateSize }
        memtableSince = memtable.isEmpty ? nil : .now
        condition.unlock()

        for name in DurableFile.list(walDirectory) {
            if let generation = WALWriter.generation(ofFileName: name), generation <= coveredGeneration {
                try DurableFile.remove(walDirectory + "/" + name)
            }
        }
        logger.debug("flushed memtable", metadata: ["records": "\(records.count)", "segments": "\(readers.count)"])
    }

    static func segmentFileName(sequence: UInt64) -> String {
        let digits = String(sequence)
        return String(repeating: "0", count: max(0, 12 - digits.count)) + digits + "." + SegmentFormat.fileExtension
    }

    private static func removeOrphanSegments(in directory: String, keeping live: Set<String>, logger: Logger) {
        let root = StoreFileNames.segmentDirectory
        for day in DurableFile.list(directory + "/" + root) {
            for retentionClass in DurableFile.list(directory + "/" + root + "/" + day) {
                let relativeDirectory = root + "/" + day + "/" + retentionClass
                for name in DurableFile.list(directory + "/" + relativeDirectory) {
                    let relativePath = relativeDirectory + "/" + name
                    guard !live.contains(relativePath) else { continue }
                    logger.info("removing a segment left by an interrupted flush", metadata: ["file": "\(relativePath)"])
                    try? DurableFile.remove(directory + "/" + relativePath)
                }
            }
        }
    }
}

/// A consistent view for one query.
public struct StoreSnapshot: Sendable {
    public let segments: [SegmentReader]
    /// Records acknowledged but not yet in a segment, in arrival order.
    public let memtable: [LogRecord]
}

public struct StoreStatistics: Sendable, Codable {
    public var segmentCount: Int
    public var segmentRecords: Int
    public var segmentBytes: Int
    public var indexBytes: Int
    public var memtableRecords: Int
}

extension LogRecord {
    /// What a record costs the memtable, roughly, for the flush-by-size trigger.
    var approximateSize: Int {
        64 + message.utf8.count + service.utf8.count + host.utf8.count + source.utf8.count + fields.count * 24
    }
}

extension Array where Element == LogRecord {
    /// Oldest first; records with the same timestamp keep their arrival order.
    func sortedByTime() -> [LogRecord] {
        enumerated().sorted { lhs, rhs in
            lhs.element.timestamp != rhs.element.timestamp
                ? lhs.element.timestamp < rhs.element.timestamp : lhs.offset < rhs.offset
        }.map(\.element)
    }
}
