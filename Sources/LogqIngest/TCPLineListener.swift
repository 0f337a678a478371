import Logging
import LogqIndex
import LogqParsers
import NIOCore
import NIOPosix
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
        logger: Logger,
        onBound: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
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
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(
                .recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 4096, initial: 65536, maximum: 1 << 20)
            )
            .bind(host: host, port: port) { [limits, listenerCounters] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers(
                        IdleStateHandler(readTimeout: limits.idleTimeout),
                        CloseOnIdleHandler(counters: listenerCounters))
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let boundPort = server.channel.localAddress?.port ?? port
        logger.info("listening for \(name)", metadata: ["address": "\(host):\(boundPort)"])
        onBound(boundPort)

        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { connections in
                    for try await connection in connections {
                        if let listenerCounters, listenerCounters.open >= limits.maxConnections {
                            listenerCounters.rejected()
                            try? await connection.channel.close()
                            continue
                        }
                        listenerCounters?.opened()
                        group.addTask {
                            await self.serve(connection)
                            self.listenerCounters?.closed()
                        }
                    }
                }
            }
        } onGracefulShutdown: {
            server.channel.close(promise: nil)
        }
    }

    private func report(_ ingestor: LineBatchIngestor, _ reported: inout (lines: Int, truncated: Int)) {
        listenerCounters?.stored(
            lines: ingestor.submitted - reported.lines, truncated: ingestor.truncated - reported.truncated)
        reported = (ingestor.submitted, ingestor.truncated)
    }

    private func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async {
        let peer = connection.channel.remoteAddress?.description ?? "unknown"
        var ingestor = LineBatchIngestor(
            store: store, maker: makeRecordMaker(), framer: makeFramer(), counters: counters)
        do {
            try await connection.executeThenClose { inbound, _ in
                var reported = (lines: 0, truncated: 0)
                for try await buffer in inbound {
                    listenerCounters?.received(bytes: buffer.readableBytes)
                    do {
                        try await ingestor.feed(buffer)
                    } catch let error as FramingError {
                        listenerCounters?.protocolError()
                        report(ingestor, &reported)
                        throw error
                    }
                    report(ingestor, &reported)
                }
                try await ingestor.finish()
                report(ingestor, &reported)
            }
        } catch {
            // The sender gets no acknowledgement on this protocol; what was not stored is reported here.
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
