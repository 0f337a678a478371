import Logging
import LogqIndex
import LogqParsers
import NIOCore
import NIOPosix
import ServiceLifecycle

/// Syslog over UDP: one datagram is one message (a trailing LF is dropped). UDP cannot push back on a
/// sender; datagrams the kernel drops while the store is behind are lost by the protocol, and the
/// socket's receive buffer is made large to make that rare.
public struct UDPSyslogListener: Service {
    public let host: String
    public let port: Int
    let store: LogStore
    let makeRecordMaker: @Sendable () -> LineRecordMaker
    let counters: ParseCounters?
    let listenerCounters: ListenerCounters?
    let logger: Logger
    let onBound: @Sendable (Int) -> Void

    public init(
        host: String, port: Int, store: LogStore, makeRecordMaker: @escaping @Sendable () -> LineRecordMaker,
        counters: ParseCounters? = nil, listenerCounters: ListenerCounters? = nil, logger: Logger,
        onBound: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
        self.listenerCounters = listenerCounters
        self.host = host
        self.port = port
        self.store = store
        self.makeRecordMaker = makeRecordMaker
        self.counters = counters
        self.logger = logger
        self.onBound = onBound
    }

    public func run() async throws {
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.socketOption(.so_rcvbuf), value: 8 << 20)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65_536))
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>(
                        wrappingChannelSynchronously: channel)
                }
            }
        let boundPort = channel.channel.localAddress?.port ?? port
        logger.info("listening for syslog over UDP", metadata: ["address": "\(host):\(boundPort)"])
        onBound(boundPort)
        var ingestor = LineBatchIngestor(
            store: store, maker: makeRecordMaker(), framer: DatagramFramer(), counters: counters,
            listenerCounters: listenerCounters)
        try await withGracefulShutdownHandler {
            try await channel.executeThenClose { inbound, _ in
                for try await envelope in inbound {
                    listenerCounters?.received(bytes: envelope.data.readableBytes)
                    try await ingestor.feed(envelope.data)
                }
                try await ingestor.finish()
            }
        } onGracefulShutdown: {
            channel.channel.close(promise: nil)
        }
    }
}

/// Each datagram is a whole message.
struct DatagramFramer: StreamFramer {
    mutating func feed(
        _ chunk: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer, Int) -> Void
    ) throws(FramingError) {
        var message = chunk
        while let last = message.last, last == UInt8(ascii: "\n") || last == UInt8(ascii: "\r") || last == 0 {
            message = UnsafeRawBufferPointer(rebasing: message.dropLast())
        }
        guard !message.isEmpty else { return }
        let kept = min(message.count, StorageLimits.maxMessageBytes)
        emit(UnsafeRawBufferPointer(rebasing: message[..<kept]), message.count)
    }

    mutating func finish(emit: (UnsafeRawBufferPointer, Int) -> Void) {}
}
