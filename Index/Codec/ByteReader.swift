/// Reads what `ByteWriter` wrote, with bounds checks: a short or malformed buffer throws, never traps.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    private(set) var offset: Int

    init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    var remaining: Int { bytes.count - offset }
    var isAtEnd: Bool { offset >= bytes.count }

    private func require(_ count: Int) throws(DecodeError) {
        guard count >= 0, count <= remaining else { throw DecodeError.truncated(at: offset) }
    }

    mutating func readUInt8() throws(DecodeError) -> UInt8 {
        try require(1)
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func readUInt32() throws(DecodeError) -> UInt32 {
        try require(4)
        defer { offset += 4 }
        return UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    mutating func readUInt64() throws(DecodeError) -> UInt64 {
        try require(8)
        defer { offset += 8 }
        return UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    mutating func readInt64() throws(DecodeError) -> Int64 { Int64(bitPattern: try readUInt64()) }

    mutating func readVarint() throws(DecodeError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < bytes.count else { throw DecodeError.truncated(at: offset) }
            let byte = bytes[offset]
            offset += 1
            guard shift < 64 else { throw DecodeError.malformed("varint longer than 10 bytes", at: offset) }
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
        }
    }

    /// Steps over `count` varints without decoding them (a column the reader does not want): only their
    /// last bytes are counted.
    mutating func skipVarints(_ count: Int) throws(DecodeError) {
        var left = count
        var position = offset
        // Eight bytes at a time while at least eight varints are left (none of them can end past the
        // word's last varint then): a varint's last byte is the one with its high bit clear.
        while left >= 8 && position + 8 <= bytes.count {
            let word = bytes.loadUnaligned(fromByteOffset: position, as: UInt64.self)
            left -= (~word & 0x8080_8080_8080_8080).nonzeroBitCount
            position += 8
        }
        while left > 0 {
            guard position < bytes.count else { throw DecodeError.truncated(at: position) }
            if bytes[position] < 0x80 { left -= 1 }
            position += 1
        }
        offset = position
    }

    /// `count` varints each below `limit`, as Ints: one-byte values (dictionary codes, mostly) without
    /// the general varint loop when all of them are.
    mutating func readCodes(count: Int, below limit: Int, what: String) throws(DecodeError) -> [Int] {
        // Most columns: `count` one-byte codes, checked by their largest and widened in one pass.
        if count <= remaining, count > 0 {
            let run = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)])
            if let largest = run.max(), largest < 0x80, Int(largest) < limit {
                offset += count
                return run.map { Int($0) }
            }
        }
        var codes: [Int] = []
        codes.reserveCapacity(count)
        for _ in 0..<count { codes.append(try readIndex(below: limit, what: what)) }
        return codes
    }

    /// Steps over a count and that many strings (a dictionary or the names a reader does not want);
    /// returns the count.
    mutating func skipStrings() throws(DecodeError) -> Int {
        let count = try readLength()
        for _ in 0..<count { try skip(try readLength()) }
        return count
    }

    /// A varint that is used as a count or length: bounded by what is left, so a corrupt
    /// value cannot ask for a huge allocation.
    mutating func readLength() throws(DecodeError) -> Int {
        let value = try readVarint()
        guard value <= UInt64(remaining) else { throw DecodeError.truncated(at: offset) }
        return Int(value)
    }

    /// A fixed 64-bit offset, length or count that must not exceed `limit` (a file's size): a corrupt or
    /// hostile value is an error, never a trap converting it to `Int` or adding it to another.
    mutating func readOffset(within limit: Int) throws(DecodeError) -> Int {
        let value = try readUInt64()
        guard value <= UInt64(limit) else { throw .malformed("offset \(value) beyond \(limit)", at: offset - 8) }
        return Int(value)
    }

    /// A varint that indexes a table of `count` entries.
    mutating func readIndex(below count: Int, what: String) throws(DecodeError) -> Int {
        let value = try readVarint()
        guard value < UInt64(count) else { throw .malformed("\(what) \(value) out of range", at: offset) }
        return Int(value)
    }

    mutating func readSignedVarint() throws(DecodeError) -> Int64 {
        let raw = try readVarint()
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    mutating func readByteSlice(count: Int) throws(DecodeError) -> UnsafeRawBufferPointer {
        try require(count)
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)])
    }

    mutating func readString() throws(DecodeError) -> String {
        let length = try readLength()
        let slice = try readByteSlice(count: length)
        return String(decoding: slice, as: UTF8.self)
    }

    mutating func skip(_ count: Int) throws(DecodeError) {
        try require(count)
        offset += count
    }
}

/// A buffer that does not hold what its format says; the caller adds the file and offset.
enum DecodeError: Error, Equatable {
    case truncated(at: Int)
    case malformed(String, at: Int)

    var offset: Int {
        switch self {
        case .truncated(let at), .malformed(_, let at): return at
        }
    }

    var reason: String {
        switch self {
        case .truncated: return "data ends early"
        case .malformed(let what, _): return what
        }
    }
}

extension Error {
    /// The reason of a `DecodeError` that crossed a closure which erased its type.
    var decodeReason: String { (self as? DecodeError)?.reason ?? "\(self)" }
}
