import CPrefetch

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The term → postings map a segment's index is built from: open addressing over the keys' bytes,
/// which live back to back in one arena, and postings in one flat chained pool. Building the index
/// with `String`-keyed dictionaries cost a String, a hash of it and a dictionary node per word of every
/// message, and an array per term cost an allocation per distinct term (most terms are distinct: ids,
/// amounts); here a word costs one pass to hash and, mostly, one comparison of bytes in cache.
/// Its slots and entries live in `HugePageBuffer`s that copies of the value share: one builder owns it.
struct TermTable {
    private(set) var arena: [UInt8] = []
    private var entryBuffer: HugePageBuffer<Entry>
    private(set) var count = 0
    /// Per slot: the entry's index + 1 (0 is empty) in the low 32 bits, the hash's high bits above, so
    /// most mismatches are rejected without touching the entry.
    private var slotBuffer: HugePageBuffer<UInt64>
    private var mask: Int
    /// Postings past each entry's first, in the order they were added (ascending ordinals within an
    /// entry): the entry in the high 32 bits, the ordinal in the low. Gathered per entry once, at the end:
    /// following a linked list per entry instead missed the cache at every node.
    private var laterPostings: [UInt64] = []

    private struct Entry {
        var hash: UInt64
        var keyStart: Int32
        var keyLength: Int32
        var first: UInt32
        var last: UInt32
        var count: UInt32
    }

    init(capacity: Int = 1 << 14) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slotBuffer = HugePageBuffer(capacity: size)
        mask = size - 1
        entryBuffer = HugePageBuffer(capacity: max(16, capacity))
        // Reserved for the expected terms (`capacity` is about four per record; a record has about 28
        // words and fields and 50 bytes of new keys): growing by doubling instead copied each array and
        // faulted its pages in twice, a tenth of the index build in a profile. Pages reserved but never
        // touched are not resident.
        laterPostings.reserveCapacity(capacity * 7)
        arena.reserveCapacity(capacity * 12)
    }

    private var entries: UnsafeMutablePointer<Entry> { entryBuffer.base }
    private var slots: UnsafeMutablePointer<UInt64> { slotBuffer.base }

    func key(_ entry: Int) -> ArraySlice<UInt8> {
        let start = Int(entries[entry].keyStart)
        return arena[start..<(start + Int(entries[entry].keyLength))]
    }

    func keyRange(_ entry: Int) -> Range<Int> {
        let start = Int(entries[entry].keyStart)
        return start..<(start + Int(entries[entry].keyLength))
    }

    func hash(_ entry: Int) -> UInt64 { entries[entry].hash }

    func postingCount(_ entry: Int) -> Int { Int(entries[entry].count) }

    func firstPosting(_ entry: Int) -> UInt32 { entries[entry].first }

    /// The postings of `entries` (each with two or more), gathered in one pass: entry `entries[i]` has
    /// its first posting, then `later[offsets[i]..<offsets[i + 1]]`, ascending.
    func gatherPostings(of entries: [Int]) -> (offsets: [Int], later: [UInt32]) {
        var start = [Int](repeating: 0, count: count)
        var offsets = [Int]()
        offsets.reserveCapacity(entries.count + 1)
        var total = 0
        for entry in entries {
            offsets.append(total)
            start[entry] = total
            total += Int(self.entries[entry].count) - 1
        }
        offsets.append(total)
        var later = [UInt32](repeating: 0, count: total)
        later.withUnsafeMutableBufferPointer { later in
            for posting in laterPostings {
                let entry = Int(truncatingIfNeeded: posting >> 32)
                later[start[entry]] = UInt32(truncatingIfNeeded: posting)
                start[entry] += 1
            }
        }
        return (offsets, later)
    }

    /// Adds every term of `batch`, in order. The table is far larger than the caches, so one add at a time
    /// waits for a miss on its slot, then on its entry, then on its key (a profile showed 90% of the time
    /// of `add` on the first two loads). Here the slots of the whole batch are prefetched first, then the
    /// entries they name, then those keys: hints that do not wait for each other, so their misses overlap.
    /// (Plain loads in their place overlapped less: a load that misses holds up the instructions behind it
    /// until it retires, and a profile of that version still showed half of `add` waiting on them.)
    mutating func add(_ batch: borrowing TermBatch) {
        let count = batch.count
        guard count > 0 else { return }
        let (slots, entries, mask) = (self.slots, self.entries, self.mask)
        for index in 0..<count { cprefetch_for_write(slots + (Int(truncatingIfNeeded: batch.hashes[index]) & mask)) }
        for index in 0..<count {
            let stored = slots[Int(truncatingIfNeeded: batch.hashes[index]) & mask]
            if stored != 0 { cprefetch_for_write(entries + (Int(stored & 0xFFFF_FFFF) - 1)) }
        }
        arena.withUnsafeBufferPointer { arena in
            for index in 0..<count {
                let stored = slots[Int(truncatingIfNeeded: batch.hashes[index]) & mask]
                if stored != 0 {
                    cprefetch_for_write(arena.baseAddress! + Int(entries[Int(stored & 0xFFFF_FFFF) - 1].keyStart))
                }
            }
        }
        for index in 0..<count {
            batch.entries[index] = UInt32(
                truncatingIfNeeded: add(batch.key(index), hash: batch.hashes[index], ordinal: batch.ordinals[index]))
        }
    }

    /// Whether entry `entry`'s key is `key`.
    @inline(__always)
    func entry(_ entry: Int, hasKey key: UnsafeBufferPointer<UInt8>) -> Bool {
        let stored = entries[entry]
        guard Int(stored.keyLength) == key.count else { return false }
        return arena.withUnsafeBufferPointer { arena in
            ShortBytes.equal(arena.baseAddress! + Int(stored.keyStart), key.baseAddress!, count: key.count)
        }
    }

    /// Records that the record `ordinal` holds entry `entry`'s term (ordinals ascending, as in `add`).
    @inline(__always)
    mutating func addPosting(_ ordinal: UInt32, toEntry entry: Int) {
        if entries[entry].last != ordinal { append(ordinal, to: entry) }
    }

    /// Records that the record `ordinal` holds the term `key`, whose `BlockFilter.hash` is `hash`;
    /// ordinals come in ascending order. Returns the term's entry.
    @inline(__always) @discardableResult
    mutating func add(_ key: UnsafeBufferPointer<UInt8>, hash: UInt64, ordinal: UInt32) -> Int {
        let tag = hash & 0xFFFF_FFFF_0000_0000
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let stored = slots[slot]
            if stored == 0 { break }
            if stored & 0xFFFF_FFFF_0000_0000 == tag {
                let index = Int(stored & 0xFFFF_FFFF) - 1
                if entry(index, hasKey: key) {
                    // Records come in order, so a word repeated in one message repeats the last posting.
                    if entries[index].last != ordinal { append(ordinal, to: index) }
                    return index
                }
            }
            slot = (slot + 1) & mask
        }
        if count == entryBuffer.capacity { growEntries() }
        slots[slot] = tag | UInt64(count + 1)
        (entries + count).initialize(
            to: Entry(
                hash: hash, keyStart: Int32(arena.count), keyLength: Int32(key.count), first: ordinal, last: ordinal,
                count: 1))
        count += 1
        arena.append(contentsOf: key)
        if count * 2 > mask + 1 { grow() }
        return count - 1
    }

    private mutating func append(_ ordinal: UInt32, to index: Int) {
        laterPostings.append(UInt64(index) << 32 | UInt64(ordinal))
        entries[index].last = ordinal
        entries[index].count += 1
    }

    private mutating func grow() {
        let size = (mask + 1) * 2
        slotBuffer = HugePageBuffer(capacity: size)
        mask = size - 1
        let slots = self.slots
        for index in 0..<count {
            let hash = entries[index].hash
            var slot = Int(truncatingIfNeeded: hash) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = (hash & 0xFFFF_FFFF_0000_0000) | UInt64(index + 1)
        }
    }

    private mutating func growEntries() {
        let larger = HugePageBuffer<Entry>(capacity: entryBuffer.capacity * 2)
        larger.base.moveInitialize(from: entries, count: count)
        entryBuffer = larger
    }
}

/// Terms waiting to be added to a `TermTable` together: their keys back to back, with hashes and records.
/// Fixed buffers, filled and emptied a few million times per segment: growable arrays cost a uniqueness
/// check and a capacity check per append, which a profile showed as a tenth of the index build.
struct TermBatch: ~Copyable {
    static let capacity = 256
    static let maxKeyBytes = 2 * StorageLimits.maxIndexedValueBytes + StorageLimits.maxTokenBytes + 64

    let keys = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity * maxKeyBytes)
    /// Where each key starts in `keys`, plus the end of the last.
    let keyStarts = UnsafeMutablePointer<Int32>.allocate(capacity: capacity + 1)
    let hashes = UnsafeMutablePointer<UInt64>.allocate(capacity: capacity)
    let ordinals = UnsafeMutablePointer<UInt32>.allocate(capacity: capacity)
    /// Each term's entry in the table, filled in by `TermTable.add(_:)`.
    let entries = UnsafeMutablePointer<UInt32>.allocate(capacity: capacity)
    private(set) var count = 0

    init() { keyStarts[0] = 0 }

    deinit {
        keys.deallocate()
        keyStarts.deallocate()
        hashes.deallocate()
        ordinals.deallocate()
        entries.deallocate()
    }

    var isFull: Bool { count >= Self.capacity }

    /// `key` must be at most `maxKeyBytes` long.
    mutating func append(_ key: UnsafeBufferPointer<UInt8>, hash: UInt64, ordinal: UInt32) {
        let start = Int(keyStarts[count])
        (keys + start).update(from: key.baseAddress!, count: key.count)
        keyStarts[count + 1] = Int32(start + key.count)
        hashes[count] = hash
        ordinals[count] = ordinal
        count += 1
    }

    mutating func removeAll() { count = 0 }

    /// The key of term `index`.
    func key(_ index: Int) -> UnsafeBufferPointer<UInt8> {
        let start = Int(keyStarts[index])
        return UnsafeBufferPointer(start: keys + start, count: Int(keyStarts[index + 1]) - start)
    }
}
