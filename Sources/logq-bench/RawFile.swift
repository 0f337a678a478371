import Foundation

/// Writes `bytes` to `path` with a loop of `write(2)` calls. Foundation's `Data.write(to:)` on Linux wrote
/// files over 2 GiB wrongly: after the kernel's first partial write (2,147,479,552 bytes, its limit per
/// call) it wrote the rest from the buffer's start again, so the 10M corpus file (3.6 GB) that `rg`, `zstd`
/// and the peers read ended with a second copy of its first 1.5 GB, one line cut in the middle.
func writeRawFile(_ bytes: some ContiguousBytes, to path: String) throws {
    let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    defer { close(descriptor) }
    try bytes.withUnsafeBytes { raw in
        var written = 0
        while written < raw.count {
            let result = write(descriptor, raw.baseAddress! + written, raw.count - written)
            if result < 0 {
                if errno == EINTR { continue }
                throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            }
            written += result
        }
    }
}
