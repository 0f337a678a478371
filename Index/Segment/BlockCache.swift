import Synchronization

/// Decompressed, verified block payloads shared by all queries, least recently used out first. A
/// repeated query (a dashboard, a pager refreshing) then skips the checksum and decompression of the
/// blocks it reads.
final class BlockCache: Sendable {
    static let shared = BlockCache(capacityBytes: 64 << 20)

    private struct Key: Hashable {
        let reader: UInt64
        let block: Int
    }

    /// Identifies one open reader: a file rewritten at the same path never meets an old entry.
    static func newReaderID() -> UInt64 { nextReaderID.add(1, ordering: .relaxed).newValue }
    private static let nextReaderID = Atomic<UInt64>(0)

    private struct Entry {
        let payload: [UInt8]
        var lastUse: UInt64
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        var bytes = 0
        var clock: UInt64 = 0
    }

    let capacityBytes: Int
    private let state = Mutex(State())

    init(capacityBytes: Int) {
        self.capacityBytes = capacityBytes
    }

    func payload(reader: UInt64, block: Int) -> [UInt8]? {
        state.withLock { state in
            let key = Key(reader: reader, block: block)
            guard var entry = state.entries[key] else { return nil }
            state.clock += 1
            entry.lastUse = state.clock
            state.entries[key] = entry
            return entry.payload
        }
    }

    func insert(_ payload: [UInt8], reader: UInt64, block: Int) {
        guard payload.count <= capacityBytes / 4 else { return }
        state.withLock { state in
            let key = Key(reader: reader, block: block)
            guard state.entries[key] == nil else { return }
            state.clock += 1
            state.entries[key] = Entry(payload: payload, lastUse: state.clock)
            state.bytes += payload.count
            while state.bytes > capacityBytes,
                let oldest = state.entries.min(by: { $0.value.lastUse < $1.value.lastUse })
            {
                state.bytes -= oldest.value.payload.count
                state.entries.removeValue(forKey: oldest.key)
            }
        }
    }

    /// Forgets a reader's blocks when it closes.
    func evict(reader: UInt64) {
        state.withLock { state in
            for key in state.entries.keys where key.reader == reader {
                state.bytes -= state.entries.removeValue(forKey: key)?.payload.count ?? 0
            }
        }
    }
}
