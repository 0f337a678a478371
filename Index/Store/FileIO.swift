#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file read with `pread`, so that a disk that fails a read gives an error to the one query that asked,
/// where a mapped page would end the whole process with SIGBUS. The descriptor stays open for the
/// reader's life: a segment a merge or retention unlinks stays readable by the queries that hold it.
final class ReadOnlyFile: Sendable {
    let path: String
    let size: Int
    private let descriptor: Int32

    init(path: String) throws(StorageError) {
        if let code = FileFaults.failure(of: .read, on: path) { throw .io(operation: "open", path: path, errno: code) }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .io(operation: "open", path: path, errno: errno) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            let code = errno
            close(descriptor)
            throw .io(operation: "stat", path: path, errno: code)
        }
        self.path = path
        self.descriptor = descriptor
        size = Int(status.st_size)
    }

    /// The `count` bytes at `offset`; the caller keeps the range inside the file.
    func read(at offset: Int, count: Int) throws(StorageError) -> [UInt8] {
        if let code = FileFaults.failure(of: .read, on: path) { throw .io(operation: "read", path: path, errno: code) }
        // Not zero-filled first: every byte is read over, and a query reads hundreds of megabytes.
        var failure: StorageError?
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            var done = 0
            while done < count {
                let result = pread(descriptor, buffer.baseAddress! + done, count - done, off_t(offset + done))
                if result < 0 {
                    if errno == EINTR { continue }
                    failure = .io(operation: "read", path: path, errno: errno)
                    break
                }
                guard result > 0 else {
                    failure = .corruption(
                        file: path, offset: offset + done, reason: "the file ends before its sections do")
                    break
                }
                done += result
            }
            // A failed read is thrown away: zero the rest rather than leave it uninitialised.
            if done < count { (buffer.baseAddress! + done).initialize(repeating: 0, count: count - done) }
            initialized = count
        }
        if let failure { throw failure }
        return bytes
    }

    deinit { close(descriptor) }
}

/// Writes that survive a crash: temporary file, fsync, rename, fsync of the directory.
package enum DurableFile {
    package static func writeAtomically(_ bytes: [UInt8], to path: String) throws(StorageError) {
        let temporary = path + StoreFileNames.temporarySuffix
        let descriptor = try create(temporary)
        do throws(StorageError) {
            try writeAll(bytes, to: descriptor, path: temporary)
            try sync(descriptor, path: temporary, operation: "fsync")
        } catch {
            close(descriptor)
            unlink(temporary)
            throw error
        }
        close(descriptor)
        do throws(StorageError) {
            try rename(temporary, to: path)
        } catch {
            unlink(temporary)
            throw error
        }
        try syncDirectory(containing: path)
    }

    /// Creates (or empties) `path` for writing and returns its descriptor.
    package static func create(_ path: String) throws(StorageError) -> Int32 {
        if let code = FileFaults.failure(of: .create, on: path) {
            throw .io(operation: "create", path: path, errno: code)
        }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .io(operation: "create", path: path, errno: errno) }
        return descriptor
    }

    package static func sync(_ descriptor: Int32, path: String, operation: String) throws(StorageError) {
        if let code = FileFaults.failure(of: .fsync, on: path) {
            throw .io(operation: operation, path: path, errno: code)
        }
        guard fsync(descriptor) == 0 else { throw .io(operation: operation, path: path, errno: errno) }
    }

    package static func rename(_ source: String, to target: String) throws(StorageError) {
        if let code = FileFaults.failure(of: .rename, on: target) {
            throw .io(operation: "rename", path: target, errno: code)
        }
        guard systemRename(source, target) == 0 else { throw .io(operation: "rename", path: target, errno: errno) }
    }

    package static func writeAll(_ bytes: [UInt8], to descriptor: Int32, path: String) throws(StorageError) {
        var written = 0
        while written < bytes.count {
            var count = bytes.count - written
            var injectedError: Int32?
            switch FileFaults.effect(of: .write, on: path) {
            case .fail(let code): throw .io(operation: "write", path: path, errno: code)
            case .tornWrite(let code):
                count = max(1, count / 2)
                injectedError = code
            case .shortWrite: count = max(1, count / 2)
            case nil: break
            }
            let result = bytes.withUnsafeBytes { raw in write(descriptor, raw.baseAddress! + written, count) }
            if result < 0 {
                if errno == EINTR { continue }
                throw .io(operation: "write", path: path, errno: errno)
            }
            written += result
            if let injectedError { throw .io(operation: "write", path: path, errno: injectedError) }
        }
    }

    package static func syncDirectory(containing path: String) throws(StorageError) {
        let directory = parentDirectory(of: path)
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .io(operation: "open directory", path: directory, errno: errno) }
        defer { close(descriptor) }
        try sync(descriptor, path: directory, operation: "fsync directory")
    }

    package static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    package static func createDirectories(_ path: String) throws(StorageError) {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw .io(operation: "mkdir", path: current, errno: errno)
            }
        }
    }

    package static func readAll(_ path: String) throws(StorageError) -> [UInt8] {
        let file = try ReadOnlyFile(path: path)
        return try file.read(at: 0, count: file.size)
    }

    package static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    package static func remove(_ path: String) throws(StorageError) {
        guard unlink(path) == 0 || errno == ENOENT else { throw .io(operation: "unlink", path: path, errno: errno) }
    }

    /// Names in `directory`, without "." and "..", sorted; empty when the directory does not exist.
    package static func list(_ directory: String) -> [String] {
        guard let handle = opendir(directory) else { return [] }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }
}

/// The C library's rename, which `DurableFile.rename` hides inside the type.
private func systemRename(_ source: String, _ target: String) -> Int32 { rename(source, target) }
