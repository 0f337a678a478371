import NIOCore
import Synchronization

/// What one listener has seen, for `/api/v1/stats` (and the metrics of issue 9). Updated per chunk or
/// per connection, never per line.
public final class ListenerCounters: Sendable {
    public let name: String
    private let openConnections = Atomic<Int>(0)
    private let acceptedConnections = Atomic<Int>(0)
    private let rejectedConnections = Atomic<Int>(0)
    private let idleClosed = Atomic<Int>(0)
    private let receivedBytes = Atomic<Int>(0)
    private let storedLines = Atomic<Int>(0)
    private let truncatedLines = Atomic<Int>(0)
    private let protocolErrors = Atomic<Int>(0)

    public init(name: String) { self.name = name }

    func opened() {
        openConnections.add(1, ordering: .relaxed)
        acceptedConnections.add(1, ordering: .relaxed)
    }
    func closed() { openConnections.subtract(1, ordering: .relaxed) }
    func rejected() { rejectedConnections.add(1, ordering: .relaxed) }
    func closedIdle() { idleClosed.add(1, ordering: .relaxed) }
    public func received(bytes: Int) { receivedBytes.add(bytes, ordering: .relaxed) }
    package func stored(lines: Int, truncated: Int) {
        storedLines.add(lines, ordering: .relaxed)
        if truncated > 0 { truncatedLines.add(truncated, ordering: .relaxed) }
    }
    package func protocolError() { protocolErrors.add(1, ordering: .relaxed) }

    public var open: Int { openConnections.load(ordering: .relaxed) }

    /// The counters by name, as `/api/v1/stats` shows them.
    public var snapshot: [String: Int] {
        [
            "openConnections": openConnections.load(ordering: .relaxed),
            "acceptedConnections": acceptedConnections.load(ordering: .relaxed),
            "rejectedConnections": rejectedConnections.load(ordering: .relaxed),
            "idleClosedConnections": idleClosed.load(ordering: .relaxed),
            "bytes": receivedBytes.load(ordering: .relaxed),
            "lines": storedLines.load(ordering: .relaxed),
            "truncatedLines": truncatedLines.load(ordering: .relaxed),
            "protocolErrors": protocolErrors.load(ordering: .relaxed),
        ]
    }
}

/// Limits every TCP listener applies to its connections.
public struct ConnectionLimits: Sendable, Equatable {
    /// Connections beyond this are closed as soon as they are accepted (and counted).
    public var maxConnections: Int
    /// A connection that sends nothing for this long is closed, so idle or slowloris senders do not
    /// hold resources forever.
    public var idleTimeout: TimeAmount

    public init(maxConnections: Int = 1024, idleTimeout: TimeAmount = .seconds(300)) {
        self.maxConnections = maxConnections
        self.idleTimeout = idleTimeout
    }
}

/// Closes the channel when the idle-state handler says nothing was read for the timeout.
final class CloseOnIdleHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = NIOAny
    let counters: ListenerCounters?

    init(counters: ListenerCounters?) { self.counters = counters }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
            counters?.closedIdle()
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}
