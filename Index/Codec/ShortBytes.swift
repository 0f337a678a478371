/// Equality of short byte strings (index keys: mostly under 24 bytes) compared eight bytes at a time in
/// line: a call to libc's `memcmp` cost more than the comparison itself for keys this short (a profile of
/// the index build showed it at 7%).
enum ShortBytes {
    @inline(__always)
    static func equal(_ lhs: UnsafePointer<UInt8>, _ rhs: UnsafePointer<UInt8>, count: Int) -> Bool {
        let (left, right) = (UnsafeRawPointer(lhs), UnsafeRawPointer(rhs))
        var offset = 0
        while offset + 8 <= count {
            if left.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                != right.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            {
                return false
            }
            offset += 8
        }
        while offset < count {
            if lhs[offset] != rhs[offset] { return false }
            offset += 1
        }
        return true
    }
}
