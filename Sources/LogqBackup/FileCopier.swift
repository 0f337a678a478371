import Crypto
import Foundation

/// Streams one file to another through SHA-256, at most `bytesPerSecond` if set; the target is written
/// under a temporary name, fsynced and renamed, so it is whole or absent.
struct FileCopier {
    var bytesPerSecond: Int?
    private static let chunkSize = 1 << 20

    struct Copied {
        var size: Int
        var sha256: String
    }

    /// Hashes `source` without copying it.
    static func hash(_ source: String) throws(BackupError) -> Copied {
        try FileCopier().stream(source, into: nil)
    }

    func copy(_ source: String, to target: String) throws(BackupError) -> Copied {
        let temporary = target + ".partial"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .io(operation: "create", path: temporary, errno: errno) }
        let copied: Copied
        do throws(BackupError) {
            copied = try stream(source, into: (descriptor, temporary))
            guard fsync(descriptor) == 0 else { throw .io(operation: "fsync", path: temporary, errno: errno) }
        } catch {
            close(descriptor)
            unlink(temporary)
            throw error
        }
        close(descriptor)
        guard rename(temporary, target) == 0 else { throw .io(operation: "rename", path: target, errno: errno) }
        try Self.syncDirectory(containing: target)
        return copied
    }

    private func stream(
        _ source: String, into target: (descriptor: Int32, path: String)?
    ) throws(BackupError)
        -> Copied
    {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw .io(operation: "open", path: source, errno: errno) }
        defer { close(input) }
        var hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: Self.chunkSize)
        var total = 0
        let started = DispatchTime.now().uptimeNanoseconds
        while true {
            let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress!, Self.chunkSize) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .io(operation: "read", path: source, errno: errno)
            }
            if count == 0 { break }
            buffer.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[..<count])) }
            if let target {
                var written = 0
                while written < count {
                    let result = buffer.withUnsafeBytes {
                        write(target.descriptor, $0.baseAddress! + written, count - written)
                    }
                    if result < 0 {
                        if errno == EINTR { continue }
                        throw .io(operation: "write", path: target.path, errno: errno)
                    }
                    written += result
                }
            }
            total += count
            if let bytesPerSecond, bytesPerSecond > 0 {
                // Sleep until the bytes so far fit the rate: a backup must not starve ingest of disk.
                let due = UInt64(Double(total) / Double(bytesPerSecond) * 1e9)
                let elapsed = DispatchTime.now().uptimeNanoseconds - started
                if due > elapsed { usleep(useconds_t(min((due - elapsed) / 1000, 1_000_000))) }
            }
        }
        let digest = hasher.finalize().map { String(format: "%02x", $0) }.joined()
        return Copied(size: total, sha256: digest)
    }

    static func syncDirectory(containing path: String) throws(BackupError) {
        let directory = (path as NSString).deletingLastPathComponent
        let descriptor = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .io(operation: "open directory", path: directory, errno: errno) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw .io(operation: "fsync directory", path: directory, errno: errno) }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
