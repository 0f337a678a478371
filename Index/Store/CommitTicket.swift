import Synchronization

/// The promise of one enqueued batch: completes once the batch is fsynced in the WAL (or failed).
///
/// Enqueueing is synchronous, so a sender's batches keep their order; waiting is separate, so a sender
/// can keep a few batches in flight while the commit thread fsyncs.
public final class CommitTicket: Sendable {
    private enum State {
        case pending([CheckedContinuation<Void, any Error>])
        case committed
        case failed(any Error)
    }

    private let state = Mutex(State.pending([]))

    init() {}

    init(failed error: any Error) {
        state.withLock { $0 = .failed(error) }
    }

    /// Returns once the batch is durable; throws what kept it from being so.
    public func wait() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let outcome: Result<Void, any Error>? = state.withLock { state in
                switch state {
                case .pending(var waiters):
                    waiters.append(continuation)
                    state = .pending(waiters)
                    return nil
                case .committed: return .success(())
                case .failed(let error): return .failure(error)
                }
            }
            if let outcome { continuation.resume(with: outcome) }
        }
    }

    func complete(_ error: (any Error)?) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            guard case .pending(let waiters) = state else { return [] }
            state = error.map { .failed($0) } ?? .committed
            return waiters
        }
        for waiter in waiters {
            if let error { waiter.resume(throwing: error) } else { waiter.resume() }
        }
    }
}
