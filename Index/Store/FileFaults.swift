import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failure that tests make the store's file operations suffer: a full disk, a failing device, a write
/// cut short, a rename that never happens. Every file operation of the store goes through `DurableFile`
/// and `ReadOnlyFile`, which ask `FileFaults` first, so a test can fail any of them and then check that
/// nothing unacknowledged was acknowledged, nothing stored was damaged, and the store recovers.
package struct FileFault: Sendable {
    package enum Operation: String, Sendable {
        /// Opening a file for writing (a new WAL generation, a segment's or the manifest's temporary file).
        case create
        case write
        case fsync
        case rename
        /// Opening a file to read it: a segment, a WAL file being replayed, the manifest.
        case read
    }

    package enum Effect: Sendable {
        /// The call fails with this errno and changes nothing.
        case fail(errno: Int32)
        /// For writes: half the bytes reach the file, then the call fails with this errno, as when a disk
        /// fills in the middle of a write.
        case tornWrite(errno: Int32)
        /// For writes: only half the bytes are taken and the call reports so, without an error (a short
        /// write, which POSIX allows at any time).
        case shortWrite
    }

    /// The paths a fault strikes. A test names paths inside its own directory, so tests running at the
    /// same time never see each other's faults.
    package enum Scope: Sendable {
        /// Paths that start with this (a folder with its trailing "/", or a file name's beginning).
        case startingWith(String)
        /// This path only (a directory's fsync is on the directory's own path).
        case exactly(String)

        func contains(_ path: String) -> Bool {
            switch self {
            case .startingWith(let prefix): path.hasPrefix(prefix)
            case .exactly(let only): path == only
            }
        }
    }

    package var operation: Operation
    package var scope: Scope
    package var effect: Effect

    package init(_ operation: Operation, _ scope: Scope, effect: Effect) {
        self.operation = operation
        self.scope = scope
        self.effect = effect
    }
}

/// The faults in force. Checked on every file operation of the store; with none injected, the check is
/// one atomic load.
package enum FileFaults {
    private static let injected = Mutex<[UInt64: FileFault]>([:])
    private static let injectedCount = Atomic<Int>(0)
    private static let nextToken = Atomic<UInt64>(0)

    /// Puts `fault` in force until `clear` is called with the returned token.
    package static func inject(_ fault: FileFault) -> UInt64 {
        let token = nextToken.add(1, ordering: .relaxed).newValue
        injected.withLock { faults in
            faults[token] = fault
            injectedCount.store(faults.count, ordering: .releasing)
        }
        return token
    }

    package static func clear(_ token: UInt64) {
        injected.withLock { faults in
            faults.removeValue(forKey: token)
            injectedCount.store(faults.count, ordering: .releasing)
        }
    }

    /// The effect to apply to `operation` on `path`, if a fault is in force for it.
    static func effect(of operation: FileFault.Operation, on path: String) -> FileFault.Effect? {
        guard injectedCount.load(ordering: .acquiring) > 0 else { return nil }
        return injected.withLock { faults in
            faults.values.first { $0.operation == operation && $0.scope.contains(path) }?.effect
        }
    }

    /// The errno an injected fault makes `operation` on `path` fail with; nil lets the call go ahead.
    /// Write faults that let some bytes through are applied by `DurableFile.writeAll`.
    static func failure(of operation: FileFault.Operation, on path: String) -> Int32? {
        switch effect(of: operation, on: path) {
        case .fail(let code), .tornWrite(let code): return code
        case .shortWrite, nil: return nil
        }
    }
}
