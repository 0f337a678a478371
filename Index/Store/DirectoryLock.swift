#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive flock on `DATA/LOCK`, so that one process at a time has a data directory open. The
/// kernel drops it when the process dies (kill -9 included), so a crash never leaves it stuck.
final class DirectoryLock: @unchecked Sendable {
    private var descriptor: Int32

    init(directory: String) throws(StorageError) {
        let path = directory + "/" + StoreFileNames.lock
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .io(operation: "open", path: path, errno: errno) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw .locked(directory: directory)
        }
    }

    /// Called once the store is closed (by `LogStore.close`, on one thread).
    func release() {
        guard descriptor >= 0 else { return }
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }
}
