/// The term → postings map a segment's index is built from: open addressing over the keys' bytes,
/// which live back to back in one arena, and postings in one flat chained pool. Building the index
/// with `String`-keyed dictionaries cost a String, a hash of it and a dictionary node per word of every
/// message, and an array per term cost an allocation per distinct term (most terms are distinct: ids,
/// amounts); here a word costs one pass to hash and, mostly, one comparison of bytes in cache.
struct TermTable {
    private(set) var arena: [UInt8] = []
    private var entries: [Entry] = []
    /// Per slot: the entry's index + 1 (0 is empty) in the low 32 bits, the hash's high bits above, so
    /// most mismatches are rejected without touching the entry.
    private var slots: [UInt64]
    private var mask: Int
    /// Postings past each entry's first, in the order they were added (ascending ordinals within an
    /// entry), with the entry each belongs to. Gathered per entry once, at the end: following a linked
    /// list per entry instead missed the cache at every node.
    private var laterOrdinals: [UInt32] = []
    private var laterEntries: [UInt32] = []

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
        slots = [UInt64](repeating: 0, count: size)
        mask = size - 1
        entries.reserveCapacity(capacity)
    }

    var count: Int { entries.count }

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
        var start = [Int](repeating: 0, count: self.entries.count)
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
            for (ordinal, entry) in zip(laterOrdinals, laterEntries) {
                later[start[Int(entry)]] = ordinal
                start[Int(entry)] += 1
            }
        }
        return (offsets, later)
    }

    /// Records that the record `ordinal` holds the term `key`; ordinals come in ascending order.
    mutating func add(_ key: UnsafeBufferPointer<UInt8>, ordinal: UInt32) {
        add(key, hash: BlockFilter.hash(key), ordinal: ordinal)
    }

    /// The same with `hash` already computed (it must be `BlockFilter.hash(key)`).
    @inline(__always)
    mutating func add(_ key: UnsafeBufferPointer<UInt8>, hash: UInt64, ordinal: UInt32) {
        let tag = hash & 0xFFFF_FFFF_0000_0000
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let stored = slots[slot]
            if stored == 0 { break }
            if stored & 0xFFFF_FFFF_0000_0000 == tag {
                let index = Int(stored & 0xFFFF_FFFF) - 1
                let entry = entries[index]
                if Int(entry.keyLength) == key.count
                    && arena.withUnsafeBufferPointer({ arena in
                        memcmp(arena.baseAddress! + Int(entry.keyStart), key.baseAddress!, key.count) == 0
                    })
                {
                    // Records come in order, so a word repeated in one message repeats the last posting.
                    if entry.last != ordinal { append(ordinal, to: index) }
                    return
                }
            }
            slot = (slot + 1) & mask
        }
        slots[slot] = tag | UInt64(entries.count + 1)
        entries.append(
            Entry(
                hash: hash, keyStart: Int32(arena.count), keyLength: Int32(key.count), first: ordinal, last: ordinal,
                count: 1))
        arena.append(contentsOf: key)
        if entries.count * 2 > slots.count { grow() }
    }

    private mutating func append(_ ordinal: UInt32, to index: Int) {
        laterOrdinals.append(ordinal)
        laterEntries.append(UInt32(index))
        entries[index].last = ordinal
        entries[index].count += 1
    }

    private mutating func grow() {
        let size = slots.count * 2
        slots = [UInt64](repeating: 0, count: size)
        mask = size - 1
        for (index, entry) in entries.enumerated() {
            var slot = Int(truncatingIfNeeded: entry.hash) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = (entry.hash & 0xFFFF_FFFF_0000_0000) | UInt64(index + 1)
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
