/// What the storage engine reports. `description` never includes log content: log lines carry secrets.
public enum StorageError: Error, CustomStringConvertible, Equatable {
    /// One of our own files does not hold what its format says.
    case corruption(file: String, offset: Int, reason: String)
    /// The operating system refused a read, write, fsync or rename.
    case io(operation: String, path: String, errno: Int32)
    /// A file written by a newer logqd.
    case unsupportedVersion(file: String, version: UInt32)
    /// The store was closed; no more writes are taken.
    case closed
    /// Another process has the data directory open.
    case locked(directory: String)

    public var description: String {
        switch self {
        case .corruption(let file, let offset, let reason):
            return "corrupt data file \(file) at byte \(offset): \(reason). "
                + "Run `logq fsck` on the data directory; restore the file from a backup if it is a segment."
        case .io(let operation, let path, let code):
            return "\(operation) failed on \(path): \(String(cString: strerror(code))) (errno \(code)). "
                + "Check free disk space and the directory's permissions."
        case .unsupportedVersion(let file, let version):
            return "\(file) has format version \(version), newer than this logqd reads; upgrade logqd."
        case .closed:
            return "the store is shutting down and takes no more writes; retry against the restarted server."
        case .locked(let directory):
            return "\(directory) is in use by another logqd or `logq ingest --data`; stop it first, or ingest through "
                + "the running server (logq ingest without --data)."
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
