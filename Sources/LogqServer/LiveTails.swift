import NIOCore
import ServiceLifecycle
import Synchronization

/// The open live tails (`GET /api/v1/tail`), so that a graceful shutdown can end them: a tail never
/// ends by itself, and the HTTP server waits for open responses before it stops.
final class LiveTails: Service, Sendable {
    private let open = Mutex<[UInt64: AsyncStream<ByteBuffer>.Continuation]>([:])
    private let nextID = Mutex<UInt64>(0)
    private let closed = Mutex(false)

    /// Registers a tail's stream; false when the server is already stopping.
    func add(_ continuation: AsyncStream<ByteBuffer>.Continuation) -> UInt64? {
        guard !closed.withLock({ $0 }) else { return nil }
        let id = nextID.withLock {
            $0 += 1
            return $0
        }
        open.withLock { $0[id] = continuation }
        return id
    }

    /// Open tails now (the metrics' tail subscribers).
    var count: Int { open.withLock { $0.count } }

    func remove(_ id: UInt64) {
        _ = open.withLock { $0.removeValue(forKey: id) }
    }

    func run() async throws {
        try? await gracefulShutdown()
        closed.withLock { $0 = true }
        for continuation in open.withLock({ Array($0.values) }) { continuation.finish() }
    }
}
