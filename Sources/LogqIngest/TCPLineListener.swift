import Logging
import LogqIndex
import LogqParsers
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle

/// TCP listener for newline-delimited JSON or plain text (port 5170 by default), or lines of one kind
/// parsed by a pattern pack (`tcp.parser`).
///
/// Each connection is read as an async sequence of buffers through a `LineBatchIngestor`: one store batch
/// per buffer, a bounded window of batches waiting for their fsync.
public struct TCPLineListener: Service {
    public let host: String
    public let port: Int
    let store: LogStore
    let makeRecordMaker: @Sendable () -> LineRecordMaker
    let makeFramer: @Sendable () -> any StreamFramer
    /// For the server's log: what this listener receives ("TCP lines", "syslog over TCP").
    let name: String
    let counters: ParseCounters?
    let listenerCounters: ListenerCounters?
    let limits: ConnectionLimits
    /// TLS on this listener (RFC 5425 for syslog), with client certificates when the context asks.
    let tls: NIOSSLContext?
    let logger: Logger
    let onBound: @Sendable (Int) -> Void

    public init(
        host: String,
        port: Int,
        store: LogStore,
        makeRecordMaker: @escaping @Sendable () -> LineRecordMaker = {
            LineRecordMaker(decoder: LineDecoder(source: "tcp"))
        },
        makeFramer: @escaping @Sendable () -> any StreamFramer = { LineFramer() },
        name: String = "TCP lines",
        counters: ParseCounters? = nil,
        listenerCounters: ListenerCounters? = nil,
        limits: ConnectionLimits = ConnectionLimits(),
        tls: NIOSSLContext? = nil,
        logger: Logger,
        onBound: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
        self.tls = tls
        self.listenerCounters = listenerCounters
        self.limits = limits
        self.host = host
        self.port = port
        self.store = store
        self.makeRecordMaker = makeRecordMaker
        self.makeFramer = makeFramer
        self.name = name
        self.counters = counters
        self.logger = logger
        self.onBound = onBound
    }

    public func run() async throws {
        try await TCPAcceptLoop.run(
            host: host, port: port, name: name, limits: limits, tls: tls, counters: listenerCounters, logger: logger,
            onBound: onBound, serve: { await self.serve($0) })
    }

    private func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async {
        let peer = connection.channel.remoteAddress?.description ?? "unknown"
        var ingestor = LineBatchIngestor(
            store: store, maker: makeRecordMaker(), framer: makeFramer(), counters: counters,
            listenerCounters: listenerCounters)
        do {
            try await connection.executeThenClose { inbound, _ in
                for try await buffer in inbound {
                    listenerCounters?.received(bytes: buffer.readableBytes)
                    do {
                        try await ingestor.feed(buffer)
                    } catch let error as FramingError {
                        listenerCounters?.protocolError()
                        throw error
                    }
                }
                try await ingestor.finish()
            }
        } catch {
            // The sender gets no acknowledgement on this protocol; what was not stored is reported here.
            listenerCounters?.countIfTLSFailure(error)
            logger.warning(
                "\(name) connection ended with an error",
                metadata: ["peer": "\(peer)", "error": "\(error)", "stored_lines": "\(ingestor.durable)"])
        }
    }
}

/// Wall-clock nanoseconds since the epoch: the receive time of lines that carry none.
public func currentTimeNanoseconds() -> Int64 {
    var spec = timespec()
    clock_gettime(CLOCK_REALTIME, &spec)
    return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
