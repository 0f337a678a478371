import CLZ4
import CZstd

/// How a block or index section is compressed on disk. The raw value is stored: never reuse one.
public enum CompressionCodec: UInt8, Sendable {
    case none = 0
    case zstd = 1
    case lz4 = 2
}

enum Compression {
    static func compress(_ input: [UInt8], codec: CompressionCodec, zstdLevel: Int32) -> [UInt8] {
        switch codec {
        case .none:
            return input
        case .zstd:
            let bound = ZSTD_compressBound(input.count)
            var output = [UInt8](repeating: 0, count: bound)
            let written = input.withUnsafeBytes { source in
                output.withUnsafeMutableBytes { target in
                    ZSTD_compress(target.baseAddress, bound, source.baseAddress, source.count, zstdLevel)
                }
            }
            // Compressing into a buffer of ZSTD_compressBound cannot fail; keep the bytes raw if it ever does.
            guard ZSTD_isError(written) == 0 else { return input }
            output.removeSubrange(written...)
            return output
        case .lz4:
            let bound = Int(LZ4_compressBound(Int32(input.count)))
            var output = [UInt8](repeating: 0, count: bound)
            let written = input.withUnsafeBytes { source in
                output.withUnsafeMutableBytes { target in
                    LZ4_compress_default(
                        source.baseAddress?.assumingMemoryBound(to: CChar.self),
                        target.baseAddress?.assumingMemoryBound(to: CChar.self),
                        Int32(source.count),
                        Int32(bound)
                    )
                }
            }
            guard written > 0 || input.isEmpty else { return input }
            output.removeSubrange(Int(written)...)
            return output
        }
    }

    /// `expectedSize` comes from the format (the LZ4 block format does not store it).
    static func decompress(
        _ input: UnsafeRawBufferPointer,
        codec: CompressionCodec,
        expectedSize: Int
    ) throws(DecodeError) -> [UInt8] {
        switch codec {
        case .none:
            guard input.count == expectedSize else { throw .malformed("stored size differs from header", at: 0) }
            return Array(input)
        case .zstd:
            // Not zero-filled first: the frame overwrites every byte (a memset of each block was 6% of a
            // phrase count's time).
            var written = 0
            let output = [UInt8](unsafeUninitializedCapacity: expectedSize) { target, count in
                written = ZSTD_decompress(target.baseAddress, expectedSize, input.baseAddress, input.count)
                count = ZSTD_isError(written) == 0 && written == expectedSize ? expectedSize : 0
            }
            guard ZSTD_isError(written) == 0, written == expectedSize else {
                throw .malformed("zstd frame does not decompress to its recorded size", at: 0)
            }
            return output
        case .lz4:
            var written: Int32 = 0
            let output = [UInt8](unsafeUninitializedCapacity: expectedSize) { target, count in
                written = LZ4_decompress_safe(
                    input.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) },
                    UnsafeMutableRawPointer(target.baseAddress)?.assumingMemoryBound(to: CChar.self),
                    Int32(input.count),
                    Int32(expectedSize)
                )
                count = written == expectedSize ? expectedSize : 0
            }
            guard written == expectedSize else {
                throw .malformed("lz4 block does not decompress to its recorded size", at: 0)
            }
            return output
        }
    }
}
