import CLZ4
import CZstd
import Synchronization

/// Decompressed bytes that outlive the call that made them: one stream of a block, shared by the block
/// cache and every query reading it. Immutable once made, so sharing it across threads is safe.
final class StreamBuffer: @unchecked Sendable {
    let bytes: UnsafeRawBufferPointer

    private init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    deinit { bytes.deallocate() }

    /// A copy of `bytes` (something derived from streams, kept in the block cache beside them).
    static func copying(_ bytes: [UInt8]) -> StreamBuffer {
        let target = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 8)
        bytes.withUnsafeBytes { target.copyMemory(from: $0) }
        return StreamBuffer(bytes: UnsafeRawBufferPointer(rebasing: target[..<bytes.count]))
    }

    /// A version 5 message group's messages, each head followed by LF and its rest when it has one, and
    /// where each lies in the new buffer. `headRanges` index `heads`; `restRanges` (per member, nil for
    /// none) index `rests`.
    static func joining(
        heads: UnsafeRawBufferPointer, _ headRanges: [Range<Int>], rests: UnsafeRawBufferPointer,
        _ restRanges: [Range<Int>?]
    ) -> (buffer: StreamBuffer, ranges: [Range<Int>]) {
        let total =
            headRanges.reduce(0) { $0 + $1.count } + restRanges.reduce(0) { $0 + ($1.map { $0.count + 1 } ?? 0) }
        let target = UnsafeMutableRawBufferPointer.allocate(byteCount: max(total, 1), alignment: 8)
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(headRanges.count)
        var written = 0
        for (head, rest) in zip(headRanges, restRanges) {
            let start = written
            if !head.isEmpty {
                (target.baseAddress! + written).copyMemory(
                    from: heads.baseAddress! + head.lowerBound, byteCount: head.count)
                written += head.count
            }
            if let rest {
                target[written] = 0x0A
                written += 1
                if !rest.isEmpty {
                    (target.baseAddress! + written).copyMemory(
                        from: rests.baseAddress! + rest.lowerBound, byteCount: rest.count)
                    written += rest.count
                }
            }
            ranges.append(start..<written)
        }
        return (StreamBuffer(bytes: UnsafeRawBufferPointer(rebasing: target[..<total])), ranges)
    }

    /// `input` decompressed to exactly `expectedSize` bytes (the format records the size; the LZ4 block
    /// format does not store it).
    static func decompressing(
        _ input: UnsafeRawBufferPointer, codec: CompressionCodec, expectedSize: Int
    ) throws(DecodeError) -> StreamBuffer {
        let target = UnsafeMutableRawBufferPointer.allocate(byteCount: max(expectedSize, 1), alignment: 8)
        let output = UnsafeMutableRawBufferPointer(rebasing: target[..<expectedSize])
        let written: Int
        switch codec {
        case .none:
            written = input.count == expectedSize ? expectedSize : -1
            if written == expectedSize, expectedSize > 0 { output.copyMemory(from: input) }
        case .zstd:
            let result = ZstdDecompressionContexts.shared.withContext { context in
                ZSTD_decompressDCtx(context, output.baseAddress, expectedSize, input.baseAddress, input.count)
            }
            written = ZSTD_isError(result) == 0 ? result : -1
        case .lz4:
            written = Int(
                LZ4_decompress_safe(
                    input.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) },
                    output.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(input.count),
                    Int32(expectedSize)))
        }
        guard written == expectedSize else {
            target.deallocate()
            throw .malformed("\(codec) stream does not decompress to its recorded size", at: 0)
        }
        return StreamBuffer(bytes: UnsafeRawBufferPointer(output))
    }
}

/// zstd decompression contexts kept for reuse: `ZSTD_decompress` allocates and initialises one per call,
/// which costs more than decompressing a small stream.
final class ZstdDecompressionContexts: Sendable {
    static let shared = ZstdDecompressionContexts()

    private struct Context: @unchecked Sendable {
        let pointer: OpaquePointer
    }

    private let idle = Mutex<[Context]>([])

    func withContext<T>(_ body: (OpaquePointer) -> T) -> T {
        let context = idle.withLock { $0.popLast() } ?? Context(pointer: ZSTD_createDCtx())
        defer { idle.withLock { $0.append(context) } }
        return body(context.pointer)
    }
}

/// One zstd compression context for a run of compressions on one thread (a segment's streams):
/// `ZSTD_compress` would allocate and initialise one per call.
final class ZstdCompressor {
    private let context: OpaquePointer
    let level: Int32

    init(level: Int32) {
        context = ZSTD_createCCtx()
        self.level = level
    }

    deinit { ZSTD_freeCCtx(context) }

    /// `input` compressed, or nil when zstd fails or the frame would not be smaller.
    func compress(_ input: UnsafeRawBufferPointer) -> [UInt8]? {
        let bound = ZSTD_compressBound(input.count)
        var failed = false
        let output = [UInt8](unsafeUninitializedCapacity: bound) { target, count in
            let written = ZSTD_compressCCtx(context, target.baseAddress, bound, input.baseAddress, input.count, level)
            failed = ZSTD_isError(written) != 0
            count = failed ? 0 : written
        }
        return failed || output.count >= input.count ? nil : output
    }
}
