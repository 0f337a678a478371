import Logging
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle

/// What every TCP listener does around its protocol: bind, close idle connections, refuse those over the
/// limit, speak TLS when given a context, serve each accepted one on its own task, and on graceful
/// shutdown stop accepting and stop reading the open connections.
enum TCPAcceptLoop {
    static func run(
        host: String, port: Int, name: String, limits: ConnectionLimits, tls: NIOSSLContext?,
        counters: ListenerCounters?, logger: Logger, onBound: @Sendable (Int) -> Void,
        serve: @escaping @Sendable (NIOAsyncChannel<ByteBuffer, ByteBuffer>) async -> Void
    ) async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(
                .recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 4096, initial: 65536, maximum: 1 << 20)
            )
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        // A failed handshake (no or a wrong client certificate, plain text) surfaces as an
                        // error in the connection's inbound stream, where the listener counts it.
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls))
                    }
                    try channel.pipeline.syncOperations.addHandlers(
                        IdleStateHandler(readTimeout: limits.idleTimeout), CloseOnIdleHandler(counters: counters))
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let boundPort = server.channel.localAddress?.port ?? port
        logger.info(
            "listening for \(name)", metadata: ["address": "\(host):\(boundPort)", "tls": "\(tls != nil)"])
        onBound(boundPort)

        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { connections in
                    for try await connection in connections {
                        if let counters, counters.open >= limits.maxConnections {
                            counters.rejected()
                            try? await connection.channel.close()
                            continue
                        }
                        counters?.opened()
                        group.addTask {
                            await withGracefulShutdownHandler {
                                await serve(connection)
                            } onGracefulShutdown: {
                                // Stop reading, so a sender that never pauses cannot hold the shutdown: the
                                // protocol commits (and acknowledges) what it has read, then closes.
                                let channel = connection.channel
                                channel.close(mode: .input).whenFailure { _ in channel.close(promise: nil) }
                            }
                            counters?.closed()
                        }
                    }
                }
            }
        } onGracefulShutdown: {
            server.channel.close(promise: nil)
        }
    }
}

extension ListenerCounters {
    /// A failed handshake (no or a wrong client certificate, plain text on a TLS port) is a protocol error.
    func countIfTLSFailure(_ error: any Error) {
        if error is NIOSSLError || error is BoringSSLError { protocolError() }
    }
}
