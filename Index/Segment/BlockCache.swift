import Synchronization

/// Decompressed, verified block streams (a version 1 or 2 block's whole payload is its stream 0) shared
/// by all queries, least recently used out first. A repeated query (a dashboard, a pager refreshing) then
/// skips the checksum and decompression of the streams it reads.
///
/// Streams that scans read (messages checked by words, phrases and regexes) are offered with
/// `offerScanned`: kept only when asked for a second time, and within half the capacity, so that a scan
/// of more messages than the cache holds passes through without pushing out the columns other queries
/// use, while a repeated phrase count (its candidates' first lines, ~60 MB at ten million records) is
/// answered from memory.
final class BlockCache: Sendable {
    /// 256 MiB by default (`store.block_cache_mb`): at ten million records, `stats p95(request_time) by
    /// (service)` reads ~150 MB of decompressed columns; in 64 MiB each run pushed out the last's, and took
    /// 510 ms against 297 ms warm.
    static let shared = BlockCache(capacityBytes: defaultCapacityBytes)
    public static let defaultCapacityBytes = 256 << 20

    private struct Key: Hashable {
        let reader: UInt64
        let block: Int
        let stream: Int
    }

    /// Identifies one open reader: a file rewritten at the same path never meets an old entry.
    static func newReaderID() -> UInt64 { nextReaderID.add(1, ordering: .relaxed).newValue }
    private static let nextReaderID = Atomic<UInt64>(0)

    private struct Entry {
        let payload: StreamBuffer
        var lastUse: UInt64
        /// Admitted by `offerScanned`: counted against the scans' half of the capacity.
        let scanned: Bool
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        var bytes = 0
        var scannedBytes = 0
        var clock: UInt64 = 0
        /// Streams scans asked for once and that were not kept: two generations of keys, the older dropped
        /// when the newer fills, so the memory they take stays bounded.
        var offered: Set<Key> = []
        var offeredBefore: Set<Key> = []

        mutating func remove(_ key: Key) {
            guard let entry = entries.removeValue(forKey: key) else { return }
            bytes -= entry.payload.bytes.count
            if entry.scanned { scannedBytes -= entry.payload.bytes.count }
        }

        /// Least recently used out (of the scanned entries only, with `scannedOnly`) until `within` holds:
        /// one sort per many inserts, where finding the oldest entry for each insert cost a pass over
        /// thousands of streams.
        mutating func evict(scannedOnly: Bool, until within: (_ bytes: Int, _ scannedBytes: Int) -> Bool) {
            let candidates = entries.lazy.filter { !scannedOnly || $0.value.scanned }
                .map { (key: $0.key, lastUse: $0.value.lastUse) }
            for candidate in candidates.sorted(by: { $0.lastUse < $1.lastUse }) {
                guard !within(bytes, scannedBytes) else { break }
                remove(candidate.key)
            }
        }
    }

    /// Keys of streams asked for once by scans, per generation.
    private static let offeredKeysPerGeneration = 32768

    private let capacity: Atomic<Int>
    private let state = Mutex(State())

    var capacityBytes: Int { capacity.load(ordering: .relaxed) }

    init(capacityBytes: Int) {
        capacity = Atomic(capacityBytes)
    }

    /// A new size; what no longer fits goes at the next insert.
    func setCapacity(bytes: Int) {
        capacity.store(max(0, bytes), ordering: .relaxed)
    }

    func stream(reader: UInt64, block: Int, stream: Int) -> StreamBuffer? {
        state.withLock { state in
            let key = Key(reader: reader, block: block, stream: stream)
            guard var entry = state.entries[key] else { return nil }
            state.clock += 1
            entry.lastUse = state.clock
            state.entries[key] = entry
            return entry.payload
        }
    }

    func insert(_ payload: StreamBuffer, reader: UInt64, block: Int, stream: Int) {
        add(payload, Key(reader: reader, block: block, stream: stream), scanned: false)
    }

    /// A stream a scan read: kept when a scan asked for it before (see the type's comment).
    func offerScanned(_ payload: StreamBuffer, reader: UInt64, block: Int, stream: Int) {
        let key = Key(reader: reader, block: block, stream: stream)
        let askedBefore = state.withLock { state in
            if state.offered.remove(key) != nil || state.offeredBefore.remove(key) != nil { return true }
            if state.offered.count >= Self.offeredKeysPerGeneration {
                state.offeredBefore = state.offered
                state.offered.removeAll(keepingCapacity: true)
            }
            state.offered.insert(key)
            return false
        }
        if askedBefore { add(payload, key, scanned: true) }
    }

    private func add(_ payload: StreamBuffer, _ key: Key, scanned: Bool) {
        let capacityBytes = capacityBytes
        guard payload.bytes.count <= capacityBytes / 4 else { return }
        state.withLock { state in
            guard state.entries[key] == nil else { return }
            state.clock += 1
            state.entries[key] = Entry(payload: payload, lastUse: state.clock, scanned: scanned)
            state.bytes += payload.bytes.count
            if scanned {
                state.scannedBytes += payload.bytes.count
                if state.scannedBytes > capacityBytes / 2 {
                    state.evict(scannedOnly: true) { _, scannedBytes in scannedBytes <= capacityBytes / 8 * 3 }
                }
            }
            // Down to seven eighths full, a scan's streams first: another scan replaces them, while the
            // columns a dashboard's `stats` reads cost it their decompression again.
            if state.bytes > capacityBytes {
                state.evict(scannedOnly: true) { bytes, _ in bytes <= capacityBytes / 8 * 7 }
                state.evict(scannedOnly: false) { bytes, _ in bytes <= capacityBytes / 8 * 7 }
            }
        }
    }

    /// Forgets a reader's blocks when it closes.
    func evict(reader: UInt64) {
        state.withLock { state in
            for key in state.entries.keys where key.reader == reader { state.remove(key) }
            state.offered = state.offered.filter { $0.reader != reader }
            state.offeredBefore = state.offeredBefore.filter { $0.reader != reader }
        }
    }
}
