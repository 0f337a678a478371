#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension UnsafeRawBufferPointer {
    /// Whether `needle` occurs in these bytes: memchr (vectorised in the C library) to each candidate first
    /// byte, memcmp for the rest. glibc's memmem is a GNU extension Swift does not import.
    public func containsBytes(_ needle: UnsafeRawBufferPointer) -> Bool {
        guard let base = baseAddress, let first = needle.first, count >= needle.count else { return needle.isEmpty }
        var offset = 0
        let last = count - needle.count
        while offset <= last {
            guard let hit = memchr(base + offset, Int32(first), last - offset + 1) else { return false }
            let position = base.distance(to: UnsafeRawPointer(hit))
            if memcmp(base + position, needle.baseAddress!, needle.count) == 0 { return true }
            offset = position + 1
        }
        return false
    }
}
