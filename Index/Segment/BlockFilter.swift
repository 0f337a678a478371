// See docs/segment-format.md, "Filter section".

/// A Bloom filter over the rare terms of one block: the terms that occur once in the whole segment and
/// so get no posting list. Fourteen bits per term and ten hashes: a lookup of a term that is not there
/// wrongly says "maybe" for about 0.12% of blocks, and each such block's messages are read. At ten bits
/// and seven hashes (format 5's first files) it was ~0.8%, about 49 of the 4,900 blocks of 10 million
/// lines, which was most of a missing word's query time; the four bits more cost ~1.1 bytes per record
/// (about 2.2 rare terms each). Each block stores its own hash count, so files of either kind are read.
struct BlockFilter: Equatable {
    static let bitsPerTerm = 14
    static let hashCount: UInt8 = 10

    private(set) var words: [UInt64]
    let hashCount: UInt8

    /// An empty filter sized for `termCount` terms (none when there are none).
    init(termCount: Int) {
        let bits = termCount == 0 ? 0 : max(64, (termCount * Self.bitsPerTerm + 63) / 64 * 64)
        words = [UInt64](repeating: 0, count: bits / 64)
        hashCount = Self.hashCount
    }

    init(words: [UInt64], hashCount: UInt8) {
        self.words = words
        self.hashCount = hashCount
    }

    mutating func insert(_ hash: UInt64) {
        guard !words.isEmpty else { return }
        let size = words.count * 64
        for index in 0..<hashCount {
            let bit = Self.bit(index, of: hash, size: size)
            words[bit >> 6] |= 1 << UInt64(bit & 63)
        }
    }

    func mayContain(_ hash: UInt64) -> Bool {
        guard !words.isEmpty else { return false }
        let size = words.count * 64
        return words.withUnsafeBufferPointer { words in
            for index in 0..<hashCount {
                let bit = Self.bit(index, of: hash, size: size)
                if words[bit >> 6] & (1 << UInt64(bit & 63)) == 0 { return false }
            }
            return true
        }
    }

    /// Double hashing (Kirsch–Mitzenmacher): bit i = (h1 + i·h2) mod size. One bit at a time, in place: an
    /// array of a key's bits cost more than the probes, and a rare word's lookup probes every block of every
    /// segment.
    @inline(__always)
    private static func bit(_ index: UInt8, of hash: UInt64, size: Int) -> Int {
        let h1 = hash & 0xFFFF_FFFF
        let h2 = (hash >> 32) | 1
        return Int((h1 &+ UInt64(index) &* h2) % UInt64(size))
    }

    /// The hash of a term key: 64-bit FNV-1a, then SplitMix64's finaliser to spread the bits. Format: the
    /// stored filters depend on it, never change it within a format version.
    static func hash(_ key: some Sequence<UInt8>) -> UInt64 {
        var state = hashSeed
        for byte in key { state = hashStep(state, byte) }
        return hashFinish(state)
    }

    /// The hash in parts, so that a key's bytes can be hashed as they are written (the index builder
    /// hashes a word while it lower-cases it): FNV-1a over the bytes, then a 64-bit finalizer.
    static let hashSeed: UInt64 = 0xCBF2_9CE4_8422_2325

    @inline(__always)
    static func hashStep(_ state: UInt64, _ byte: UInt8) -> UInt64 { (state ^ UInt64(byte)) &* hashPrime }

    /// FNV-1a's 64-bit prime.
    static let hashPrime: UInt64 = 0x0000_0100_0000_01B3

    @inline(__always)
    static func hashFinish(_ state: UInt64) -> UInt64 {
        var hash = (state ^ (state >> 30)) &* 0xBF58_476D_1CE4_E5B9
        hash = (hash ^ (hash >> 27)) &* 0x94D0_49BB_1331_11EB
        return hash ^ (hash >> 31)
    }
}
