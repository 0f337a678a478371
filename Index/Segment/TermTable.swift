/// The term → postings map a segment's index is built from: open addressing over the keys' bytes,
/// which live back to back in one arena. Building the index with `String`-keyed dictionaries cost a
/// String, a hash of it and a dictionary node per word of every message; here a word costs one pass to
/// hash and one comparison of bytes.
struct TermTable {
    private(set) var arena: [UInt8] = []
    private var keyStarts: [Int] = []
    private var keyLengths: [Int] = []
    private var hashes: [UInt64] = []
    private(set) var postings: [[UInt32]] = []
    private var slots: [Int32]
    private var mask: Int

    init(capacity: Int = 1 << 14) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = [Int32](repeating: -1, count: size)
        mask = size - 1
    }

    var count: Int { keyStarts.count }

    func key(_ entry: Int) -> ArraySlice<UInt8> { arena[keyStarts[entry]..<(keyStarts[entry] + keyLengths[entry])] }

    func hash(_ entry: Int) -> UInt64 { hashes[entry] }

    /// Records that the record `ordinal` holds the term `key`; ordinals come in ascending order.
    mutating func add(_ key: UnsafeBufferPointer<UInt8>, ordinal: UInt32) {
        let hash = BlockFilter.hash(key)
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let entry = Int(slots[slot])
            if entry < 0 { break }
            if hashes[entry] == hash && keyLengths[entry] == key.count
                && arena.withUnsafeBufferPointer({ arena in
                    memcmp(arena.baseAddress! + keyStarts[entry], key.baseAddress!, key.count) == 0
                })
            {
                // Records come in order, so a word repeated in one message repeats the last posting.
                if postings[entry].last != ordinal { postings[entry].append(ordinal) }
                return
            }
            slot = (slot + 1) & mask
        }
        slots[slot] = Int32(count)
        keyStarts.append(arena.count)
        keyLengths.append(key.count)
        arena.append(contentsOf: key)
        hashes.append(hash)
        postings.append([ordinal])
        if count * 2 > slots.count { grow() }
    }

    private mutating func grow() {
        let size = slots.count * 2
        slots = [Int32](repeating: -1, count: size)
        mask = size - 1
        for entry in 0..<count {
            var slot = Int(truncatingIfNeeded: hashes[entry]) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(entry)
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
