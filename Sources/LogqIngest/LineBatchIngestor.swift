import LogqIndex
import LogqParsers
import NIOCore

/// Turns a stream of byte chunks into stored records: frames messages (lines, or syslog frames), parses them, and hands each chunk's
/// records to the store as one batch, with at most `maxBatchesInFlight` batches waiting for their fsync.
/// Reading goes on while the commit thread works (one fsync serves many chunks) and stops when the
/// window is full, so a fast sender is slowed to the disk's pace instead of filling memory.
public struct LineBatchIngestor {
    public static let defaultMaxBatchesInFlight = 16

    let store: LogStore
    private var maker: LineRecordMaker
    private let counters: ParseCounters?
    private let listenerCounters: ListenerCounters?
    private var reported = PackParser.Statistics()
    let maxBatchesInFlight: Int
    private var framer: any StreamFramer
    private var inFlight: [(ticket: CommitTicket, lines: Int)] = []
    /// Records decoded and handed to the store.
    public private(set) var submitted = 0
    /// Records known to be durable.
    public private(set) var durable = 0

    public init(store: LogStore, decoder: LineDecoder, maxBatchesInFlight: Int = defaultMaxBatchesInFlight) {
        self.init(store: store, maker: LineRecordMaker(decoder: decoder), maxBatchesInFlight: maxBatchesInFlight)
    }

    public init(
        store: LogStore, maker: LineRecordMaker, framer: any StreamFramer = LineFramer(),
        counters: ParseCounters? = nil, listenerCounters: ListenerCounters? = nil,
        maxBatchesInFlight: Int = defaultMaxBatchesInFlight
    ) {
        self.listenerCounters = listenerCounters
        self.store = store
        self.framer = framer
        self.maker = maker
        self.counters = counters
        self.maxBatchesInFlight = maxBatchesInFlight
    }

    public mutating func feed(_ buffer: ByteBuffer) async throws {
        let now = currentTimeNanoseconds()
        var records: [LogRecord] = []
        var maker = self.maker
        var framingError: FramingError?
        var truncated = 0
        buffer.withUnsafeReadableBytes { bytes in
            do {
                try framer.feed(bytes) { line, length in
                    if length > line.count { truncated += 1 }
                    records.append(maker.record(line, receivedAt: now, originalLength: length))
                }
            } catch {
                framingError = error as? FramingError
            }
        }
        self.maker = maker
        reportStatistics(lines: records.count, truncated: truncated)
        // What was framed before bad bytes is kept; then the connection is closed.
        try await submit(consume records)
        if let framingError { throw framingError }
    }

    /// The sender is done: stores a last line without a newline and waits until everything is durable.
    public mutating func finish() async throws {
        var last: [LogRecord] = []
        var maker = self.maker
        var truncated = 0
        framer.finish { line, length in
            if length > line.count { truncated += 1 }
            last.append(maker.record(line, receivedAt: currentTimeNanoseconds(), originalLength: length))
        }
        self.maker = maker
        reportStatistics(lines: last.count, truncated: truncated)
        try await submit(consume last)
        while !inFlight.isEmpty { try await waitForOldest() }
    }

    /// Parse outcomes to the server's totals, lines to the listener's counters: once per chunk.
    private mutating func reportStatistics(lines: Int, truncated: Int) {
        listenerCounters?.stored(lines: lines, truncated: truncated)
        guard let counters else { return }
        let now = maker.statistics
        counters.add(now.since(reported))
        reported = now
    }

    private mutating func submit(_ records: consuming [LogRecord]) async throws {
        let count = records.count
        guard count > 0 else { return }
        submitted += count
        inFlight.append((store.enqueue(records), count))
        while inFlight.count >= maxBatchesInFlight { try await waitForOldest() }
    }

    private mutating func waitForOldest() async throws {
        let oldest = inFlight.removeFirst()
        try await oldest.ticket.wait()
        durable += oldest.lines
    }
}
