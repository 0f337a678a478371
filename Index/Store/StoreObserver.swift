/// What the store tells its owner about its own work, for metrics. Called on the store's commit and flush
/// threads: each closure must return quickly and never call back into the store.
public struct StoreObserver: Sendable {
    /// One WAL fsync (a group commit) took this long.
    public var walSynced: @Sendable (Duration) -> Void
    /// A memtable of this many records became segments in this long.
    public var flushed: @Sendable (Duration, Int) -> Void
    /// Segments holding this many records were merged into one in this long.
    public var merged: @Sendable (Duration, Int) -> Void

    public init(
        walSynced: @escaping @Sendable (Duration) -> Void, flushed: @escaping @Sendable (Duration, Int) -> Void,
        merged: @escaping @Sendable (Duration, Int) -> Void
    ) {
        self.walSynced = walSynced
        self.flushed = flushed
        self.merged = merged
    }
}
