import Logging
import LogqIndex
import LogqParsers
import NIOCore
import NIOPosix
import ServiceLifecycle

/// TCP listener for newline-delimited JSON or plain text (port 5170 by default).
///
/// Each connection is read as an async sequence of buffers; the lines of one buffer go to the store as one
/// batch. A connection keeps at most `maxBatchesInFlight` batches waiting for their fsync: reading goes on
/// while the commit thread works (so one fsync serves many buffers), and stops when the window is full,
/// so a fast sender is slowed to the disk's pace instead of filling memory.
public struct TCPLineListener: Service {
    public let host: String
    public let port: Int
    let store: LogStore
    let decoder: LineDecoder
    let logger: Logger
    let onBound: @Sendable (Int) -> Void
    static let maxBatchesInFlight = 16

    public init(
        host: String,
        port: Int,
        store: LogStore,
        decoder: LineDecoder = LineDecoder(source: "tcp"),
        logger: Logger,
        onBound: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
        self.host = host
        self.port = port
        self.store = store
        self.decoder = decoder
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
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let boundPort = server.channel.localAddress?.port ?? port
        logger.info("listening for TCP lines", metadata: ["address": "\(host):\(boundPort)"])
        onBound(boundPort)

        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { connections in
                    for try await connection in connections {
                        group.addTask { await self.serve(connection) }
                    }
                }
            }
        } onGracefulShutdown: {
            server.channel.close(promise: nil)
        }
    }

    private func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async {
        let peer = connection.channel.remoteAddress?.description ?? "unknown"
        var framer = LineFramer()
        var stored = 0
        var inFlight: [(ticket: CommitTicket, lines: Int)] = []
        do {
            try await connection.executeThenClose { inbound, _ in
                for try await buffer in inbound {
                    let now = currentTimeNanoseconds()
                    var records: [LogRecord] = []
                    buffer.withUnsafeReadableBytes { bytes in
                        framer.feed(bytes) { line, length in
                            records.append(decoder.decode(line, receivedAt: now, originalLength: length))
                        }
                    }
                    guard !records.isEmpty else { continue }
                    inFlight.append((store.enqueue(records), records.count))
                    while inFlight.count >= Self.maxBatchesInFlight {
                        let oldest = inFlight.removeFirst()
                        try await oldest.ticket.wait()
                        stored += oldest.lines
                    }
                }
                var last: [LogRecord] = []
                framer.finish { line, length in
                    last.append(decoder.decode(line, receivedAt: currentTimeNanoseconds(), originalLength: length))
                }
                if !last.isEmpty { inFlight.append((store.enqueue(last), last.count)) }
                for batch in inFlight {
                    try await batch.ticket.wait()
                    stored += batch.lines
                }
            }
        } catch {
            // The sender gets no acknowledgement on this protocol; what was not stored is reported here.
            logger.warning(
                "TCP connection ended with an error",
                metadata: ["peer": "\(peer)", "error": "\(error)", "stored_lines": "\(stored)"])
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
