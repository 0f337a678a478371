/// What the store tells its owner about its own work, for metrics. Called on the store's commit and flush
/// threads: each closure must return quickly and never call back into the store.
public struct StoreObserver: Sendable {
    /// One WAL fsync (a group commit) took this long.
    public var walSynced: @Sendable (Duration) -> Void
    /// A memtable of this many records became segments in this long.
    public var flushed: @Sendable (Duration, Int) -> Void
    /// Segments holding this many records were merged into one in this long.
    public var merged: @Sendable (Duration, Int) -> Void
    /// A file operation failed at this stage (the error itself goes to the server's log).
    public var failed: @Sendable (StoreFailureStage) -> Void

    public init(
        walSynced: @escaping @Sendable (Duration) -> Void, flushed: @escaping @Sendable (Duration, Int) -> Void,
        merged: @escaping @Sendable (Duration, Int) -> Void,
        failed: @escaping @Sendable (StoreFailureStage) -> Void = { _ in }
    ) {
        self.walSynced = walSynced
        self.flushed = flushed
        self.merged = merged
        self.failed = failed
    }
}

/// Where the store met a failing disk, for `logq_store_errors_total{stage}`.
public enum StoreFailureStage: String, Sendable, CaseIterable {
    /// Writing or fsyncing a WAL frame: the batch was refused, never acknowledged.
    case wal
    /// Starting the next WAL file: the memtable's flush waits (commits go on into the current file).
    case walRotation = "wal_rotation"
    /// Writing segments or the manifest: the records stay in the WAL and in memory, and the flush is retried.
    case flush
    /// A merge: the segments stay as they were.
    case merge
}
