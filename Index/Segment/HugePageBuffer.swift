#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Zero-filled memory for the index builder's tables, which are tens of megabytes read at random. On
/// 4 KiB pages nearly every probe also misses the TLB, and on a virtual machine a TLB miss walks two
/// page tables; asking for 2 MiB pages (`MADV_HUGEPAGE`, honoured when the kernel's transparent huge
/// pages are `always` or `madvise`) takes most of those walks away. Pages are only backed when touched.
final class HugePageBuffer<Element> {
    let base: UnsafeMutablePointer<Element>
    let capacity: Int
    private let mapping: UnsafeMutableRawPointer?
    private let mappedBytes: Int

    init(capacity: Int) {
        self.capacity = capacity
        let hugePage = 2 << 20
        let bytes = max(1, capacity) * MemoryLayout<Element>.stride
        let length = (bytes + hugePage - 1) / hugePage * hugePage + hugePage
        let raw = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        if let raw, raw != MAP_FAILED {
            let aligned = (Int(bitPattern: raw) + hugePage - 1) & ~(hugePage - 1)
            #if os(Linux)
            _ = madvise(UnsafeMutableRawPointer(bitPattern: aligned), length - hugePage, MADV_HUGEPAGE)
            #endif
            mapping = raw
            mappedBytes = length
            base = UnsafeMutableRawPointer(bitPattern: aligned)!.bindMemory(to: Element.self, capacity: capacity)
        } else {
            // No mapping (address space exhausted): ordinary zeroed memory still works, only slower.
            mapping = nil
            mappedBytes = 0
            let memory = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: MemoryLayout<Element>.alignment)
            memory.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
            base = memory.bindMemory(to: Element.self, capacity: capacity)
        }
    }

    deinit {
        if let mapping {
            munmap(mapping, mappedBytes)
        } else {
            UnsafeMutableRawPointer(base).deallocate()
        }
    }
}
