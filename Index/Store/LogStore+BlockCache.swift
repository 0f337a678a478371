extension LogStore {
    /// The size of the cache of decompressed, verified block streams that every segment read in this
    /// process shares (`store.block_cache_mb`; 256 MiB unless set). What message scans read is kept only when
    /// asked for twice, in at most half of it (see `BlockCache`).
    public static var blockCacheBytes: Int {
        get { BlockCache.shared.capacityBytes }
        set { BlockCache.shared.setCapacity(bytes: newValue) }
    }

    public static let defaultBlockCacheBytes = BlockCache.defaultCapacityBytes
}
