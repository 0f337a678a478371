import Foundation
import Logging
import LogqIndex
import LogqParsers
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// Tails the files of one `inputs:` entry, Filebeat-style: new files found by a scan each poll, renamed
/// files followed by identity (device, inode and a fingerprint of the first bytes), truncated files
/// (copytruncate) read again from the start, deleted or rotated-away files read to their end.
///
/// Exactly once across restarts: every record carries its file's id and the offset just past it
/// (`log.file.id`, `log.offset`), so a record is durable together with its position. A checkpoint file
/// is written after each durable batch; at start-up, the store is asked for any later offset of each file
/// (a batch made durable just before a crash, whose checkpoint was not written), and reading resumes
/// after the highest. No line is lost, none stored twice.
public struct FileTailer: Service {
    let input: FileInput
    let store: LogStore
    let checkpointPath: String
    let pollInterval: Duration
    let logger: Logger
    /// The highest `log.offset` stored for a file id above a checkpointed one (nil: none).
    let storedOffset: @Sendable (String, Int64) -> Int64?
    let counters: ListenerCounters?

    public init(
        input: FileInput, store: LogStore, dataDirectory: String, pollInterval: Duration = .milliseconds(250),
        counters: ListenerCounters? = nil, logger: Logger,
        storedOffset: @escaping @Sendable (String, Int64) -> Int64?
    ) {
        self.input = input
        self.store = store
        checkpointPath = dataDirectory + "/inputs/\(input.name).json"
        self.pollInterval = pollInterval
        self.counters = counters
        self.logger = logger
        self.storedOffset = storedOffset
    }

    public func run() async throws {
        var state = try TailState(input: input, checkpoint: Checkpoint.load(checkpointPath), logger: logger)
        state.resolveResumes(storedOffset)
        logger.info("tailing files", metadata: ["input": "\(input.name)", "paths": "\(input.paths)"])
        var inFlight: InFlightBatch?
        while !Task.isCancelledOrShuttingDown {
            // A poll that used its whole budget left bytes behind: read on at once rather than after a pause.
            if try await !cycle(&state, &inFlight, final: false) {
                try? await Task.sleep(for: pollInterval)
            }
        }
        try await cycle(&state, &inFlight, final: true)
        state.closeAll()
    }

    /// A batch handed to the store and the offsets it takes the files to once durable.
    struct InFlightBatch {
        var ticket: CommitTicket?
        var offsets: [(file: TrackedFile, offset: Int64)]
    }

    /// Polls and hands the batch to the store; then waits for the batch before it, so that while a file is
    /// read at full speed the next poll's parsing overlaps this batch's WAL write and fsync. Returns whether
    /// the poll stopped at its budget (bytes are left to read).
    @discardableResult
    private func cycle(_ state: inout TailState, _ inFlight: inout InFlightBatch?, final: Bool) async throws -> Bool {
        var batch = state.poll(now: currentTimeNanoseconds(), final: final)
        guard !batch.records.isEmpty || batch.changedCheckpoint else {
            try await settle(&state, &inFlight)
            return batch.usedWholeBudget
        }
        var ticket: CommitTicket?
        if !batch.records.isEmpty {
            counters?.stored(lines: batch.records.count, truncated: 0)
            counters?.received(bytes: batch.bytes)
            // Handed over, not shared, so that enrichment in `enqueue` does not copy every record.
            var records: [LogRecord] = []
            swap(&records, &batch.records)
            ticket = store.enqueue(consume records)
        }
        let next = InFlightBatch(ticket: ticket, offsets: state.pendingOffsets())
        // Batches are committed in the order they were enqueued: the one before is durable first.
        try await settle(&state, &inFlight)
        inFlight = next
        // Only a full poll of files already in the checkpoint is left in flight: at a restart, the store is
        // asked for what such a file's lost checkpoint covered, while a file new to the checkpoint would be
        // read again from its start. A short poll is followed by a pause: no reason to keep it waiting.
        if final || batch.changedCheckpoint || !batch.usedWholeBudget {
            try await settle(&state, &inFlight)
        }
        return batch.usedWholeBudget
    }

    /// Waits until the batch in flight is durable; only then does the checkpoint move past its lines.
    private func settle(_ state: inout TailState, _ inFlight: inout InFlightBatch?) async throws {
        guard let batch = inFlight else { return }
        inFlight = nil
        try await batch.ticket?.wait()
        state.commit(batch.offsets)
        try state.checkpoint().save(checkpointPath)
    }
}

extension Task where Success == Never, Failure == Never {
    static var isCancelledOrShuttingDown: Bool { Task.isCancelled || Task.isShuttingDownGracefully }
}

/// The positions a tailer has made durable, by file id.
struct Checkpoint: Codable {
    struct Entry: Codable {
        var path: String
        var device: UInt64
        var inode: UInt64
        var fingerprint: UInt64
        var fingerprintLength: Int
        var offset: Int64
    }

    var files: [String: Entry] = [:]

    static func load(_ path: String) -> Checkpoint {
        guard let data = FileManager.default.contents(atPath: path),
            let checkpoint = try? JSONDecoder().decode(Checkpoint.self, from: data)
        else { return Checkpoint() }
        return checkpoint
    }

    /// Written to a temporary file, fsynced and renamed over the old one.
    func save(_ path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(self)
        let temporary = path + ".tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else { throw StorageError.io(operation: "open", path: temporary, errno: errno) }
        _ = data.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        fsync(descriptor)
        close(descriptor)
        guard rename(temporary, path) == 0 else {
            throw StorageError.io(operation: "rename", path: path, errno: errno)
        }
    }
}
