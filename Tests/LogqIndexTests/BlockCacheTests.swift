import Testing

@testable import LogqIndex

/// The block cache keeps what queries insert, least recently used out first, and keeps a scan's streams
/// only when a scan asks for them again, within half its capacity.
@Suite struct BlockCacheTests {
    let kibibyte = [UInt8](repeating: 7, count: 1024)

    @Test func aScannedStreamIsKeptOnlyWhenAskedForTwice() {
        let cache = BlockCache(capacityBytes: 64 << 10)
        cache.offerScanned(.copying(kibibyte), reader: 1, block: 0, stream: 5)
        #expect(cache.stream(reader: 1, block: 0, stream: 5) == nil)
        cache.offerScanned(.copying(kibibyte), reader: 1, block: 0, stream: 5)
        #expect(cache.stream(reader: 1, block: 0, stream: 5)?.bytes.count == 1024)
    }

    @Test func repeatedScansTakeAtMostHalfTheCapacityAndLeaveInsertedStreams() {
        let cache = BlockCache(capacityBytes: 64 << 10)
        for block in 0..<24 { cache.insert(.copying(kibibyte), reader: 1, block: block, stream: 0) }
        // A scan of 100 KiB, twice: more than the whole cache.
        for _ in 0..<2 {
            for block in 0..<100 { cache.offerScanned(.copying(kibibyte), reader: 1, block: block, stream: 9) }
        }
        for block in 0..<24 { #expect(cache.stream(reader: 1, block: block, stream: 0) != nil) }
        let scannedKept = (0..<100).filter { cache.stream(reader: 1, block: $0, stream: 9) != nil }
        #expect(!scannedKept.isEmpty)
        #expect(scannedKept.count <= 32)
        // The most recent ones stay.
        #expect(scannedKept.contains(99))
    }

    @Test func aClosedReaderIsForgottenWithTheScansItWasAskedFor() {
        let cache = BlockCache(capacityBytes: 64 << 10)
        cache.insert(.copying(kibibyte), reader: 3, block: 0, stream: 0)
        cache.offerScanned(.copying(kibibyte), reader: 3, block: 1, stream: 4)
        cache.evict(reader: 3)
        #expect(cache.stream(reader: 3, block: 0, stream: 0) == nil)
        // Asked once before the close, once after: not twice for the cache.
        cache.offerScanned(.copying(kibibyte), reader: 3, block: 1, stream: 4)
        #expect(cache.stream(reader: 3, block: 1, stream: 4) == nil)
    }
}
