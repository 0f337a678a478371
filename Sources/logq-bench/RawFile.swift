import Foundation
import LogqIndex

/// Writes `bytes` to `path` through the store's own loop of `write(2)` calls. Foundation's
/// `Data.write(to:)` on Linux wrote files over 2 GiB wrongly: after the kernel's first partial write
/// (2,147,479,552 bytes, its limit per call) it wrote the rest from the buffer's start again, so the 10M
/// corpus file (3.6 GB) that `rg`, `zstd` and the peers read ended with a second copy of its first 1.5 GB,
/// one line cut in the middle.
func writeRawFile(_ bytes: [UInt8], to path: String) throws {
    let descriptor = try DurableFile.create(path)
    defer { close(descriptor) }
    try DurableFile.writeAll(bytes, to: descriptor, path: path)
}
