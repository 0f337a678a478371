import Logging
import LogqIndex
import LogqParsers
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle

/// The Beats protocol on port 5044: each window's events are stored, and the window's highest sequence
/// number is acknowledged only once they are durable in the WAL. While a large window is being made
/// durable, `ACK 0` is sent every second as a keep-alive (as Logstash does), so Filebeat does not time out.
public struct BeatsListener: Service {
    public let host: String
    public let port: Int
    let store: LogStore
    let counters: ParseCounters?
    let listenerCounters: ListenerCounters?
    let limits: ConnectionLimits
    /// Beats over TLS (Filebeat's `ssl.*` settings), with client certificates when the context asks.
    let tls: NIOSSLContext?
    let logger: Logger
    let onBound: @Sendable (Int) -> Void
    static let recordsPerBatch = 5_000

    public init(
        host: String, port: Int, store: LogStore, counters: ParseCounters? = nil,
        listenerCounters: ListenerCounters? = nil, limits: ConnectionLimits = ConnectionLimits(),
        tls: NIOSSLContext? = nil, logger: Logger, onBound: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
        self.tls = tls
        self.listenerCounters = listenerCounters
        self.limits = limits
        self.host = host
        self.port = port
        self.store = store
        self.counters = counters
        self.logger = logger
        self.onBound = onBound
    }

    public func run() async throws {
        try await TCPAcceptLoop.run(
            host: host, port: port, name: "Beats", limits: limits, tls: tls, counters: listenerCounters, logger: logger,
            onBound: onBound, serve: { await self.serve($0) })
    }

    private func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async {
        let peer = connection.channel.remoteAddress?.description ?? "unknown"
        var acknowledged = 0
        do {
            try await connection.executeThenClose { inbound, outbound in
                var decoder = BeatsDecoder()
                let mapper = BeatsEventMapper()
                var records: [LogRecord] = []
                var tickets: [CommitTicket] = []
                for try await buffer in inbound {
                    listenerCounters?.received(bytes: buffer.readableBytes)
                    var finished: [UInt32] = []
                    var failure: BeatsError?
                    let now = currentTimeNanoseconds()
                    buffer.withUnsafeReadableBytes { bytes in
                        do {
                            try decoder.feed(
                                bytes, event: { _, json in records.append(mapper.record(json, receivedAt: now)) },
                                windowDone: { finished.append($0) })
                        } catch {
                            failure = error as? BeatsError
                        }
                    }
                    if !records.isEmpty, !finished.isEmpty || records.count >= Self.recordsPerBatch {
                        listenerCounters?.stored(lines: records.count, truncated: 0)
                        tickets.append(store.enqueue(records))
                        records.removeAll(keepingCapacity: true)
                    }
                    if let last = finished.last {
                        try await waitWithKeepAlive(tickets, outbound: outbound)
                        tickets.removeAll()
                        try await outbound.write(Self.ack(last))
                        acknowledged += 1
                    }
                    if let failure {
                        listenerCounters?.protocolError()
                        // Events before the bad bytes that completed no window are not acknowledged:
                        // the sender will send them again, so they are not stored twice.
                        throw failure
                    }
                }
            }
        } catch {
            listenerCounters?.countIfTLSFailure(error)
            logger.warning(
                "Beats connection ended with an error",
                metadata: ["peer": "\(peer)", "error": "\(error)", "acknowledged_windows": "\(acknowledged)"])
        }
    }

    /// Waits for the fsyncs, sending `ACK 0` each second meanwhile.
    private func waitWithKeepAlive(
        _ tickets: [CommitTicket], outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                while !Task.isCancelled {
                    try await Task.sleep(for: .seconds(1))
                    try await outbound.write(Self.ack(0))
                }
            }
            for ticket in tickets { try await ticket.wait() }
            group.cancelAll()
            // The keep-alive task ends on cancellation; its CancellationError is not a failure.
            while let result = await group.nextResult() {
                if case .failure(let error) = result, !(error is CancellationError) { throw error }
            }
        }
    }

    static func ack(_ sequence: UInt32) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeBytes([UInt8(ascii: "2"), UInt8(ascii: "A")])
        buffer.writeInteger(sequence, endianness: .big)
        return buffer
    }
}

/// Filebeat's event JSON as a record: `@timestamp`, `message`, `log.level`, `host.name`, `service.name`
/// map to columns as for any JSON line; nested objects become dotted fields (`log.file.path`,
/// `fields.env`); a record with no service takes one from `fields.service`, else from `log.file.path`.
struct BeatsEventMapper {
    let decoder = LineDecoder(source: "beats")

    func record(_ json: UnsafeRawBufferPointer, receivedAt: Int64) -> LogRecord {
        var record = decoder.decode(json, receivedAt: receivedAt)
        if record.service.isEmpty {
            if let field = record.fields.first(where: { $0.name == "fields.service" }),
                case .string(let name) = field.value
            {
                record.service = name
            } else if let field = record.fields.first(where: { $0.name == "log.file.path" }),
                case .string(let path) = field.value, let name = RecordDefaults.service(fromPath: path)
            {
                record.service = name
            }
        }
        return record
    }
}
