import Foundation
import Logging
import Synchronization

/// The storage engine's front door: durable appends through the WAL with group commit, a memtable,
/// and immutable segments flushed by size and age.
///
/// Two threads do the work. The commit thread owns the WAL: it takes every pending batch, writes one
/// frame, fsyncs once for all of them, and adds them to the memtable. When the memtable is due, it
/// seals it (starting the next WAL generation) and queues it for the flush thread, which writes the
/// segments and the manifest while commits go on. Queries see segments, sealed memtables and the
/// live memtable. All shared state is guarded by `condition`.
public final class LogStore: @unchecked Sendable {
    public struct Options: Sendable {
        /// Flush the memtable to segments when it holds this many records…
        public var flushRecordCount: Int
        /// …or this many bytes of messages…
        public var flushByteCount: Int
        /// …or when its oldest record has waited this long.
        public var flushAge: Duration
        /// Sealed memtables waiting for the flush thread before commits wait too (back-pressure).
        public var maxQueuedFlushes: Int
        /// Merge this many segments of one day and one size tier (sizes within a factor of 4) into one.
        /// Eight flushes of 50,000 records make one merge of `mergeMaxRecords`: with four, each record was
        /// rewritten twice on its way there (50k → 200k → 400k), and merges took as much of the flush
        /// thread as the flushes themselves. (Lucene's default merges ten segments of a tier at once.)
        public var mergeFanIn: Int
        /// A merge writes at most this many records: it reads its inputs a block at a time, but its index is
        /// built in memory (about 400 bytes per record), so this bounds the merge's memory.
        public var mergeMaxRecords: Int
        /// How merged segments are written (codec, zstd level, block size).
        public var segment: SegmentWriter.Options
        /// The zstd level of a flush's segments when `segment` asks for a higher one. A flushed segment is
        /// merged soon after and recompressed at `segment.zstdLevel` then, so level 3 spent its extra work on
        /// bytes that are rewritten anyway; like an LSM tree's upper levels, they get the faster level
        /// (`zstd -b` on the corpus: level 1 at 738 MB/s, level 3 at 517, sizes within 0.3%). Flushes that
        /// are never merged (a day's last one) keep level 1.
        public var flushZstdLevel: Int32
        /// The retention class of each record (a directory name: see `RetentionClassName`); nil puts every
        /// record in `RetentionClassName.default`. Called on the flush thread.
        public var retentionClass: (@Sendable (LogRecord) -> String)?
        /// Derives fields from each record before it is written (error templates, SQL fingerprints), on the
        /// appending thread, so that the WAL, the segments and the commit observers all see them.
        public var enrich: (@Sendable (inout LogRecord) -> Void)?
        /// Told of each WAL fsync, flush and merge with its duration (the server's metrics).
        public var observer: StoreObserver?

        public init(
            flushRecordCount: Int = 200_000,
            flushByteCount: Int = 64 << 20,
            flushAge: Duration = .seconds(30),
            maxQueuedFlushes: Int = 1,
            mergeFanIn: Int = 8,
            mergeMaxRecords: Int = 400_000,
            segment: SegmentWriter.Options = SegmentWriter.Options(),
            flushZstdLevel: Int32 = 1,
            retentionClass: (@Sendable (LogRecord) -> String)? = nil,
            enrich: (@Sendable (inout LogRecord) -> Void)? = nil,
            observer: StoreObserver? = nil
        ) {
            self.observer = observer
            self.retentionClass = retentionClass
            self.enrich = enrich
            self.mergeFanIn = mergeFanIn
            self.mergeMaxRecords = mergeMaxRecords
            self.flushRecordCount = flushRecordCount
            self.flushByteCount = flushByteCount
            self.flushAge = flushAge
            self.maxQueuedFlushes = maxQueuedFlushes
            self.segment = segment
            self.flushZstdLevel = flushZstdLevel
        }
    }

    public let directory: String
    let options: Options
    private let logger: Logger
    private let condition = NSCondition()
    private let commitThreadFinished = DispatchSemaphore(value: 0)
    private let flushThreadFinished = DispatchSemaphore(value: 0)

    // Guarded by `condition`.
    private var pending: [PendingWrite] = []
    private var isClosing = false
    private var flushThreadMayStop = false
    private var flushRequested: [CheckedContinuation<Void, any Error>] = []
    /// The live memtable in chunks, so a query's snapshot shares them and a commit after it copies at most
    /// the last, small chunk.
    private var memtable = ChunkedRecords()
    private var memtableBytes = 0
    private var memtableSince: ContinuousClock.Instant?
    /// Sealed memtables, oldest first; the first is the one being flushed.
    private var flushQueue: [FlushJob] = []
    private var segments: [SegmentReader] = []

    // Owned by the commit thread after init.
    private var wal: WALWriter
    /// The commit thread's frame buffer, reused by every WAL write (see `ByteWriter.removeAll`).
    private var walFrame = ByteWriter()
    private static let walFrameKeptBytes = 64 << 20
    /// Live tails: called on the commit thread with every batch once it is durable, in commit order.
    private let commitObservers = Mutex<[UInt64: @Sendable ([LogRecord]) -> Void]>([:])
    private let nextObserver = Mutex<UInt64>(0)

    /// Written by the flush thread (flushes, merges) and by `removeSegments`; every read-modify-save of
    /// it, and every snapshot of the files it lists, holds `manifestLock`.
    private var manifest: Manifest
    private let manifestLock = NSLock()
    /// Held from init to `close()`.
    private let directoryLock: DirectoryLock

    private struct PendingWrite {
        var records: [LogRecord]
        var ticket: CommitTicket
    }

    private final class FlushJob {
        let records: ChunkedRecords
        /// WAL generations up to this one are wholly in `records` (and earlier jobs); nil for a job that only
        /// carries waiters of a flush request that found the memtable empty.
        let coveredGeneration: UInt64?
        /// Told once: of the flush's success, or of its first failure (the flush is then retried without them).
        var waiters: [CheckedContinuation<Void, any Error>]

        init(records: ChunkedRecords, coveredGeneration: UInt64?, waiters: [CheckedContinuation<Void, any Error>]) {
            self.records = records
            self.coveredGeneration = coveredGeneration
            self.waiters = waiters
        }
    }

    /// Opens (or creates) the store in `directory`, replaying the WAL of an unclean stop.
    public init(directory: String, options: Options = Options(), logger: Logger) throws(StorageError) {
        self.directory = directory
        self.options = options
        self.logger = logger
        let walDirectory = directory + "/" + StoreFileNames.walDirectory
        try DurableFile.createDirectories(walDirectory)
        try DurableFile.createDirectories(directory + "/" + StoreFileNames.segmentDirectory)
        // One process per data directory: two writers would interleave WAL generations and manifests.
        directoryLock = try DirectoryLock(directory: directory)

        manifest = try Manifest.load(from: directory + "/" + StoreFileNames.manifest)
        var opened: [SegmentReader] = []
        var damaged: [String] = []
        for summary in manifest.segments {
            do {
                opened.append(try SegmentReader(path: directory + "/" + summary.path))
            } catch {
                // A newer format, or a disk that fails to read, is not damage in the file: refuse to start
                // (the error says why) rather than set a sound segment aside.
                switch error {
                case .io(_, _, let code) where code != ENOENT: throw error
                case .unsupportedVersion: throw error
                case .io, .corruption, .closed, .locked: break
                }
                logger.error(
                    "segment unreadable; moved to quarantine, the other segments stay served",
                    metadata: ["file": "\(summary.path)", "error": "\(error)"])
                try Self.quarantine(summary.path, in: directory)
                damaged.append(summary.path)
            }
        }
        if !damaged.isEmpty {
            manifest.segments.removeAll { damaged.contains($0.path) }
            try manifest.save(to: directory + "/" + StoreFileNames.manifest)
        }
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
                logger.info(
                    "discarded a torn, unacknowledged WAL tail", metadata: ["bytes": "\(replay.discardedTailBytes)"])
            }
            replayed.append(contentsOf: replay.records)
        }
        wal = try WALWriter(directory: walDirectory, generation: highestGeneration + 1)
        if !replayed.isEmpty {
            logger.info("replayed WAL", metadata: ["records": "\(replayed.count)"])
            opened.append(contentsOf: try writeSegments(replayed, coveredGeneration: highestGeneration))
        }
        segments = opened

        let commitThread = Thread { [self] in self.runCommitLoop() }
        commitThread.name = "logq-commit"
        commitThread.start()
        let flushThread = Thread { [self] in self.runFlushLoop() }
        flushThread.name = "logq-flush"
        flushThread.start()
    }

    // MARK: Writing

    /// Queues `records` for the next WAL frame and returns at once; the ticket completes when they are durable.
    /// Batches enqueued one after another are committed in that order.
    /// Taking the array by `consuming` lets a caller that hands it over keep enrichment from copying it.
    public func enqueue(_ records: consuming [LogRecord]) -> CommitTicket {
        if let enrich = options.enrich {
            for index in records.indices { enrich(&records[index]) }
        }
        condition.lock()
        defer { condition.unlock() }
        guard !isClosing else { return CommitTicket(failed: StorageError.closed) }
        let ticket = CommitTicket()
        pending.append(PendingWrite(records: records, ticket: ticket))
        condition.broadcast()
        return ticket
    }

    /// Returns once `records` are durable in the WAL (fsynced); they are visible to queries from then on.
    public func append(_ records: [LogRecord]) async throws {
        guard !records.isEmpty else { return }
        try await enqueue(records).wait()
    }

    /// Returns once everything appended before the call is in segments.
    public func flush() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            condition.lock()
            defer { condition.unlock() }
            guard !isClosing else {
                continuation.resume(throwing: StorageError.closed)
                return
            }
            flushRequested.append(continuation)
            condition.broadcast()
        }
    }

    /// Commits what is pending, flushes the memtable and stops both threads.
    public func close() {
        condition.lock()
        let alreadyClosing = isClosing
        isClosing = true
        condition.broadcast()
        condition.unlock()
        guard !alreadyClosing else { return }
        commitThreadFinished.wait()
        flushThreadFinished.wait()
        directoryLock.release()
    }

    // MARK: Reading

    /// Calls `observer` with the records of every batch committed from now on, once durable and in
    /// commit order, on the commit thread: it must only hand them on (to a bounded buffer), never block.
    /// Returns the token that `removeCommitObserver` takes.
    public func addCommitObserver(_ observer: @escaping @Sendable ([LogRecord]) -> Void) -> UInt64 {
        let token = nextObserver.withLock {
            $0 += 1
            return $0
        }
        commitObservers.withLock { $0[token] = observer }
        return token
    }

    public func removeCommitObserver(_ token: UInt64) {
        _ = commitObservers.withLock { $0.removeValue(forKey: token) }
    }

    /// What a query reads: the open segments and a copy of the memtables, consistent with each other.
    public func snapshot() -> StoreSnapshot {
        condition.lock()
        defer { condition.unlock() }
        return StoreSnapshot(segments: segments, memtableChunks: flushQueue.flatMap(\.records.chunks) + memtable.chunks)
    }

    public func statistics() -> StoreStatistics {
        condition.lock()
        defer { condition.unlock() }
        return StoreStatistics(
            segmentCount: segments.count,
            segmentRecords: segments.reduce(0) { $0 + $1.recordCount },
            segmentBytes: segments.reduce(0) { $0 + $1.byteCount },
            indexBytes: segments.reduce(0) { $0 + $1.indexByteCount },
            memtableRecords: memtable.count + flushQueue.reduce(0) { $0 + $1.records.count },
            quarantinedSegments: DurableFile.list(directory + "/" + StoreFileNames.quarantineDirectory).count
        )
    }

    // MARK: Segment files (retention and backup)

    /// The live segments as the manifest lists them (paths relative to the data directory).
    public func segmentSummaries() -> [SegmentSummary] {
        manifestLock.lock()
        defer { manifestLock.unlock() }
        return manifest.segments
    }

    /// Changes a copy of the manifest under its lock and, unless `change` returns nil, saves the copy
    /// atomically and makes it the current one. Returns what `change` returned.
    @discardableResult
    private func updateManifest<T>(_ change: (inout Manifest) -> T?) throws(StorageError) -> T? {
        manifestLock.lock()
        defer { manifestLock.unlock() }
        var updated = manifest
        guard let result = change(&updated) else { return nil }
        try updated.save(to: directory + "/" + StoreFileNames.manifest)
        manifest = updated
        return result
    }

    /// Takes segments out of the store: the manifest first (atomically), then the open readers, then the
    /// files. A query that already holds one of them keeps reading its mapping until it finishes; paths
    /// not (or no longer) in the manifest are skipped. Returns what was removed.
    @discardableResult
    public func removeSegments(_ relativePaths: Set<String>) throws(StorageError) -> [SegmentSummary] {
        let removed =
            try updateManifest { manifest -> [SegmentSummary]? in
                let removed = manifest.segments.filter { relativePaths.contains($0.path) }
                guard !removed.isEmpty else { return nil }
                manifest.segments.removeAll { relativePaths.contains($0.path) }
                return removed
            } ?? []
        guard !removed.isEmpty else { return [] }

        let absolute = Set(removed.map { directory + "/" + $0.path })
        condition.lock()
        segments.removeAll { absolute.contains($0.path) }
        condition.unlock()
        for path in absolute { try DurableFile.remove(path) }
        // Empty class and day folders go too (rmdir fails, harmlessly, on a folder that is not empty).
        for path in absolute {
            let classDirectory = DurableFile.parentDirectory(of: path)
            rmdir(classDirectory)
            rmdir(DurableFile.parentDirectory(of: classDirectory))
        }
        return removed
    }

    /// Hard-links every live segment into `stagingDirectory` (same file system, under the same relative
    /// paths) and returns their summaries: a point-in-time copy that merges and retention cannot change,
    /// made without copying a byte or pausing ingest. Call `flush()` first to include the memtable.
    public func linkSegments(into stagingDirectory: String) throws(StorageError) -> [SegmentSummary] {
        manifestLock.lock()
        defer { manifestLock.unlock() }
        for summary in manifest.segments {
            let target = stagingDirectory + "/" + summary.path
            try DurableFile.createDirectories(DurableFile.parentDirectory(of: target))
            guard link(directory + "/" + summary.path, target) == 0 else {
                throw .io(operation: "hard link into the backup staging folder", path: target, errno: errno)
            }
        }
        return manifest.segments
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
                sealMemtable(waiters: flushWaiters)
            }
            if closing {
                condition.lock()
                let leftover = pending
                pending.removeAll()
                flushThreadMayStop = true
                condition.broadcast()
                condition.unlock()
                leftover.forEach { $0.ticket.complete(StorageError.closed) }
                commitThreadFinished.signal()
                return
            }
        }
    }

    private func commit(_ batch: [PendingWrite]) {
        guard !batch.isEmpty else { return }
        do {
            try wal.append(batches: batch.map(\.records), buildingIn: &walFrame)
            // A frame far larger than usual (one huge batch) does not pin its memory for good.
            if walFrame.capacity > Self.walFrameKeptBytes { walFrame = ByteWriter() }
            let started = ContinuousClock.now
            try wal.sync()
            options.observer?.walSynced(ContinuousClock.now - started)
        } catch {
            logger.error("WAL write failed; the batch is not acknowledged", metadata: ["error": "\(error)"])
            options.observer?.failed(.wal)
            batch.forEach { $0.ticket.complete(error) }
            return
        }
        condition.lock()
        if memtableSince == nil { memtableSince = .now }
        for write in batch {
            memtable.append(write.records)
            memtableBytes += write.records.reduce(0) { $0 + $1.approximateSize }
        }
        condition.unlock()
        batch.forEach { $0.ticket.complete(nil) }
        let observers = commitObservers.withLock { Array($0.values) }
        // Each write's records as they are: joining the writes copied every record (an eighth of this
        // thread in a profile of file tailing).
        for write in batch {
            for observer in observers { observer(write.records) }
        }
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

    /// Hands the memtable to the flush thread and starts the next WAL generation, so that generation
    /// boundaries match memtable boundaries. Waits while the flush thread is too far behind.
    private func sealMemtable(waiters: [CheckedContinuation<Void, any Error>]) {
        condition.lock()
        while flushQueue.count >= options.maxQueuedFlushes { condition.wait() }
        let records = memtable
        guard !records.isEmpty else {
            if !waiters.isEmpty {
                flushQueue.append(FlushJob(records: ChunkedRecords(), coveredGeneration: nil, waiters: waiters))
                condition.broadcast()
            }
            condition.unlock()
            return
        }
        condition.unlock()

        let covered = wal.generation
        do {
            wal = try WALWriter(directory: directory + "/" + StoreFileNames.walDirectory, generation: covered + 1)
        } catch {
            // The records stay in the memtable and the current WAL; the next seal tries again, after a pause
            // so that a full disk does not turn into a busy loop (commits wait meanwhile: back-pressure).
            logger.error("cannot start a new WAL file; flush postponed", metadata: ["error": "\(error)"])
            options.observer?.failed(.walRotation)
            waiters.forEach { $0.resume(throwing: error) }
            Thread.sleep(forTimeInterval: 1)
            return
        }
        condition.lock()
        memtable = ChunkedRecords()
        memtableBytes = 0
        memtableSince = nil
        flushQueue.append(FlushJob(records: records, coveredGeneration: covered, waiters: waiters))
        condition.broadcast()
        condition.unlock()
    }

    // MARK: Flush thread

    private func runFlushLoop() {
        while true {
            condition.lock()
            if flushQueue.isEmpty && !flushThreadMayStop {
                // Idle: merge small segments, one merge at a time so a new flush never waits long.
                condition.unlock()
                if mergeOnce() { continue }
                condition.lock()
            }
            while flushQueue.isEmpty && !flushThreadMayStop { condition.wait() }
            guard let job = flushQueue.first else {
                condition.unlock()
                flushThreadFinished.signal()
                return
            }
            let stopping = flushThreadMayStop
            condition.unlock()

            var readers: [SegmentReader] = []
            if let covered = job.coveredGeneration {
                do {
                    let started = ContinuousClock.now
                    readers = try writeSegments(job.records.all, coveredGeneration: covered)
                    options.observer?.flushed(ContinuousClock.now - started, job.records.count)
                } catch {
                    logger.error(
                        "flush failed; the records stay in the WAL and in memory", metadata: ["error": "\(error)"])
                    options.observer?.failed(.flush)
                    job.waiters.forEach { $0.resume(throwing: error) }
                    job.waiters = []
                    if stopping {
                        // Shutting down: the WAL still holds them and the next start replays it.
                        condition.lock()
                        flushQueue.removeFirst()
                        condition.broadcast()
                        condition.unlock()
                    } else {
                        Thread.sleep(forTimeInterval: 1)
                    }
                    continue
                }
            }
            condition.lock()
            segments.append(contentsOf: readers)
            flushQueue.removeFirst()
            condition.broadcast()
            condition.unlock()
            job.waiters.forEach { $0.resume() }
        }
    }

    /// Writes one segment per UTC day, records them in the manifest, then drops the WAL files they cover.
    /// A crash between any two steps loses nothing: see docs/wal-format.md.
    private func writeSegments(
        _ records: [LogRecord], coveredGeneration: UInt64
    ) throws(StorageError) -> [SegmentReader] {
        struct Group: Hashable, Comparable {
            var day: UTCDay
            var retentionClass: String
            static func < (lhs: Group, rhs: Group) -> Bool {
                (lhs.day, lhs.retentionClass) < (rhs.day, rhs.retentionClass)
            }
        }
        let classify = options.retentionClass
        let sorted = records.sortedByTime()
        let keys = sorted.withUnsafeBufferPointer { records in
            records.indices.map { index in
                Group(
                    day: UTCDay(timestamp: records[index].timestamp),
                    retentionClass: RetentionClassName.validated(classify?(records[index])))
            }
        }
        var groups: [Group: [LogRecord]] = [:]
        if let first = keys.first, keys.allSatisfy({ $0 == first }) {
            // The usual flush: one day, one class. Grouping would copy every record once more.
            groups[first] = sorted
        } else {
            for (index, key) in keys.enumerated() { groups[key, default: []].append(sorted[index]) }
        }
        // The files are written without the lock (a flush takes seconds); only the sequence numbers and
        // the manifest update hold it.
        manifestLock.lock()
        let firstSequence = manifest.nextSegmentSequence
        manifest.nextSegmentSequence += UInt64(groups.count)
        manifestLock.unlock()
        var written: [SegmentSummary] = []
        var readers: [SegmentReader] = []
        var flushOptions = options.segment
        flushOptions.zstdLevel = min(flushOptions.zstdLevel, options.flushZstdLevel)
        let writer = SegmentWriter(options: flushOptions)
        do throws(StorageError) {
            for (offset, group) in groups.keys.sorted().enumerated() {
                let relativeDirectory = "\(StoreFileNames.segmentDirectory)/\(group.day)/\(group.retentionClass)"
                try DurableFile.createDirectories(directory + "/" + relativeDirectory)
                let relativePath =
                    relativeDirectory + "/" + Self.segmentFileName(sequence: firstSequence + UInt64(offset))
                var summary = try writer.write(groups[group]!, to: directory + "/" + relativePath)
                summary.path = relativePath
                written.append(summary)
                readers.append(try SegmentReader(path: directory + "/" + relativePath))
            }
        } catch {
            // No manifest names these files yet: drop them now rather than at the next start. (Once the
            // manifest save has begun they stay, since a manifest on disk may already name them.)
            for summary in written { try? DurableFile.remove(directory + "/" + summary.path) }
            throw error
        }
        try updateManifest { manifest -> Void? in
            manifest.segments.append(contentsOf: written)
            manifest.flushedWALGeneration = coveredGeneration
            return ()
        }

        let walDirectory = directory + "/" + StoreFileNames.walDirectory
        for name in DurableFile.list(walDirectory) {
            if let generation = WALWriter.generation(ofFileName: name), generation <= coveredGeneration {
                try DurableFile.remove(walDirectory + "/" + name)
            }
        }
        logger.debug("flushed memtable", metadata: ["records": "\(records.count)", "segments": "\(readers.count)"])
        return readers
    }

    // MARK: Merging (flush thread)

    /// Merges the segments of one day, class and size tier when there are `mergeFanIn` of them. Tiers grow
    /// by a factor of 4, so a record is rewritten at most once per tier: write amplification stays
    /// logarithmic in the data size (and is one rewrite up to `mergeMaxRecords` with the defaults). Readers
    /// keep the old files' mappings until they finish.
    private func mergeOnce() -> Bool {
        func tier(_ bytes: Int) -> Int {
            var tier = 0
            var limit = 1 << 20
            while bytes >= limit && tier < 16 {
                tier += 1
                limit *= 4
            }
            return tier
        }
        let groups = Dictionary(grouping: segmentSummaries()) { summary in
            "\(DurableFile.parentDirectory(of: summary.path))|\(tier(summary.byteCount))"
        }
        // A full tier whose neighbours cannot be merged under `mergeMaxRecords` must not stop the others.
        let candidates = groups.keys.sorted().lazy.filter { groups[$0]!.count >= self.options.mergeFanIn }
        guard
            let inputs = candidates.lazy.compactMap({
                Self.mergeInputs(groups[$0]!, fanIn: self.options.mergeFanIn, maxRecords: self.options.mergeMaxRecords)
            }).first
        else { return false }
        do {
            let started = ContinuousClock.now
            try merge(inputs)
            options.observer?.merged(ContinuousClock.now - started, inputs.reduce(0) { $0 + $1.recordCount })
            return true
        } catch {
            logger.error("merge failed; the segments stay as they are", metadata: ["error": "\(error)"])
            options.observer?.failed(.merge)
            return false
        }
    }

    /// The oldest run of neighbours in time (two to `fanIn` of them) whose records fit in `maxRecords`;
    /// nil when no two neighbours fit.
    static func mergeInputs(_ tier: [SegmentSummary], fanIn: Int, maxRecords: Int) -> [SegmentSummary]? {
        let sorted = tier.sorted { $0.minTime < $1.minTime }
        for start in sorted.indices {
            var end = start
            var records = 0
            while end < sorted.count && end - start < fanIn && records + sorted[end].recordCount <= maxRecords {
                records += sorted[end].recordCount
                end += 1
            }
            if end - start >= 2 { return Array(sorted[start..<end]) }
        }
        return nil
    }

    private func merge(_ inputs: [SegmentSummary]) throws(StorageError) {
        let inputPaths = Set(inputs.map { directory + "/" + $0.path })
        condition.lock()
        let readers = segments.filter { inputPaths.contains($0.path) }
        condition.unlock()
        guard readers.count == inputs.count else { return }
        let total = inputs.reduce(0) { $0 + $1.recordCount }
        let relativeDirectory = DurableFile.parentDirectory(of: inputs[0].path)
        manifestLock.lock()
        let sequence = manifest.nextSegmentSequence
        manifest.nextSegmentSequence += 1
        manifestLock.unlock()
        let relativePath = relativeDirectory + "/" + Self.segmentFileName(sequence: sequence)
        // Block by block: holding every input record (two million of them) took gigabytes.
        let builder = try SegmentBuilder(
            path: directory + "/" + relativePath, options: options.segment, expectedRecords: total)
        var cursors = readers.map { MergeCursor(reader: $0) }
        let blockSize = options.segment.recordsPerBlock
        var block: [LogRecord] = []
        block.reserveCapacity(blockSize)
        while true {
            // The oldest next record of all inputs; on a tie, the earlier input's, as a stable sort would.
            var oldest: (index: Int, time: Int64)?
            for index in cursors.indices {
                guard let time = try cursors[index].nextTime() else { continue }
                if oldest == nil || time < oldest!.time { oldest = (index, time) }
            }
            guard let oldest = oldest?.index else { break }
            block.append(cursors[oldest].take())
            if block.count == blockSize {
                try builder.add(block[...])
                block.removeAll(keepingCapacity: true)
            }
        }
        if !block.isEmpty { try builder.add(block[...]) }
        var summary = try builder.finish()
        summary.path = relativePath
        let merged = try SegmentReader(path: directory + "/" + relativePath)
        let inputRelative = Set(inputs.map(\.path))
        let committed = try updateManifest { manifest -> Bool? in
            // Retention may have removed an input while this merge read it: then the merge is dropped.
            guard inputRelative.isSubset(of: Set(manifest.segments.map(\.path))) else { return nil }
            manifest.segments.removeAll { inputRelative.contains($0.path) }
            manifest.segments.append(summary)
            return true
        }
        guard committed == true else {
            try? DurableFile.remove(directory + "/" + relativePath)
            return
        }

        condition.lock()
        segments.removeAll { inputPaths.contains($0.path) }
        segments.append(merged)
        condition.unlock()
        // Queries that still hold the old readers keep their mappings: unlinking does not disturb them.
        for path in inputPaths { try? DurableFile.remove(path) }
        logger.debug("merged segments", metadata: ["inputs": "\(inputs.count)", "records": "\(total)"])
    }

    /// One merge input read a block at a time.
    private struct MergeCursor {
        let reader: SegmentReader
        private var block = -1
        private var records: [LogRecord] = []
        private var position = 0

        init(reader: SegmentReader) { self.reader = reader }

        /// The time of the next record, reading the next block when this one is used up; nil at the end.
        mutating func nextTime() throws(StorageError) -> Int64? {
            while position == records.count {
                guard block + 1 < reader.blocks.count else { return nil }
                block += 1
                records = try reader.readBlock(block)
                position = 0
            }
            return records[position].timestamp
        }

        /// The next record (after `nextTime` said there is one).
        mutating func take() -> LogRecord {
            position += 1
            return records[position - 1]
        }
    }

    /// Moves a damaged segment out of the live tree, keeping it for inspection or a restore.
    static func quarantine(_ relativePath: String, in directory: String) throws(StorageError) {
        let quarantine = directory + "/" + StoreFileNames.quarantineDirectory
        try DurableFile.createDirectories(quarantine)
        let target = quarantine + "/" + relativePath.replacingOccurrences(of: "/", with: "_")
        let source = directory + "/" + relativePath
        guard DurableFile.exists(source) else { return }
        try DurableFile.rename(source, to: target)
        try DurableFile.syncDirectory(containing: target)
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
                    logger.info(
                        "removing a segment left by an interrupted flush", metadata: ["file": "\(relativePath)"])
                    try? DurableFile.remove(directory + "/" + relativePath)
                }
            }
        }
    }
}

/// A consistent view for one query.
public struct StoreSnapshot: Sendable {
    public let segments: [SegmentReader]
    /// Records acknowledged but not yet in a segment, in arrival order, in chunks.
    public let memtableChunks: [[LogRecord]]

    /// The unflushed records as one array (a copy: for tests and small stores).
    public var memtable: [LogRecord] { memtableChunks.flatMap { $0 } }
}

/// Records appended in arrival order, in chunks: a snapshot copies the list of chunks, not the records,
/// and an append after a snapshot copies at most the last chunk.
struct ChunkedRecords: Sendable {
    /// Small batches are gathered into chunks of up to this many records.
    static let chunkSize = 4096
    /// A batch at least this large becomes a chunk as it is, without copying its records (a copy costs a
    /// retain of each record's strings, then a release of the batch's).
    static let ownChunkMinimum = 64
    private(set) var chunks: [[LogRecord]] = []
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }
    var all: [LogRecord] { chunks.count == 1 ? chunks[0] : chunks.flatMap { $0 } }

    mutating func append(_ records: [LogRecord]) {
        guard !records.isEmpty else { return }
        if records.count >= Self.ownChunkMinimum || chunks.isEmpty
            || chunks[chunks.count - 1].count + records.count > Self.chunkSize
        {
            chunks.append(records)
        } else {
            chunks[chunks.count - 1].append(contentsOf: records)
        }
        count += records.count
    }
}

public struct StoreStatistics: Sendable, Codable {
    public var segmentCount: Int
    public var segmentRecords: Int
    public var segmentBytes: Int
    public var indexBytes: Int
    public var memtableRecords: Int
    /// Damaged segments set aside in `quarantine/` (see docs/operations.md).
    public var quarantinedSegments: Int
}

extension LogRecord {
    /// What a record costs the memtable, roughly, for the flush-by-size trigger.
    var approximateSize: Int {
        64 + message.utf8.count + service.utf8.count + host.utf8.count + source.utf8.count + fields.count * 24
    }
}

extension Array where Element == LogRecord {
    /// Oldest first; records with the same timestamp keep their arrival order. Records mostly arrive in
    /// time order, so an already ordered array is returned as it is, without moving a record.
    func sortedByTime() -> [LogRecord] {
        let ordered = withUnsafeBufferPointer { records in
            records.indices.dropFirst().allSatisfy { records[$0 - 1].timestamp <= records[$0].timestamp }
        }
        if ordered { return self }
        return indices.sorted { lhs, rhs in
            self[lhs].timestamp != self[rhs].timestamp ? self[lhs].timestamp < self[rhs].timestamp : lhs < rhs
        }.map { self[$0] }
    }
}
