import Foundation
import Hummingbird
import LogqIndex
import LogqIngest
import LogqParsers
import LogqQuery

/// The part of Elasticsearch's HTTP API that log shippers use to write: `POST /_bulk` and
/// `/{index}/_bulk`, answered in Elasticsearch's response shape only once every stored document is
/// durable, and `GET /` (the version check Filebeat, Vector and Fluent Bit make before their first bulk).
struct ElasticsearchAPI {
    let store: LogStore
    /// The `bulk` listener's: bytes, documents, and bodies refused for their size (protocol errors).
    let counters: ListenerCounters
    /// `limits.max_bulk_body_bytes`.
    let maxBodyBytes: Int
    /// The version reported to clients: they pick their request format from it (8.x: no mapping types).
    static let compatibleVersion = "8.11.0"
    static let recordsPerBatch = 5_000

    func register(on router: Router<BasicRequestContext>) {
        router.get("/") { _, _ in Self.json(Self.info) }
        router.head("/") { _, _ in Response(status: .ok) }
        router.post("/_bulk") { request, _ in try await guarded { try await bulk(request, index: nil) } }
        router.put("/_bulk") { request, _ in try await guarded { try await bulk(request, index: nil) } }
        router.post("/{index}/_bulk") { request, context in
            try await guarded { try await bulk(request, index: context.parameters.get("index")) }
        }
        router.put("/{index}/_bulk") { request, context in
            try await guarded { try await bulk(request, index: context.parameters.get("index")) }
        }
    }

    static let info = """
        {"name":"logqd","cluster_name":"logq","cluster_uuid":"logq","version":{"number":"\(compatibleVersion)",\
        "build_flavor":"default","build_type":"logq","lucene_version":"9.8.0","minimum_wire_compatibility_version":"7.17.0",\
        "minimum_index_compatibility_version":"7.0.0"},"tagline":"You Know, for Search"}

        """

    private func guarded(_ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let error as StorageError {
            // Shippers retry a whole bulk request on 5xx; nothing in it was acknowledged.
            throw APIError(
                status: .serviceUnavailable,
                message: "the bulk request was not stored (\(error)); nothing in it is acknowledged, send it again")
        }
    }

    private func bulk(_ request: Request, index: String?) async throws -> Response {
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > maxBodyBytes {
            // Refused before a byte of it is read: nothing is stored, and the shipper can split the batch.
            counters.protocolError()
            throw tooLarge("the body declares \(declared) bytes; nothing in it was stored")
        }
        let started = ContinuousClock.now
        let receivedAt = currentTimeNanoseconds()
        var framer = LineFramer()
        var decoder = BulkRequestDecoder(defaultIndex: index, idSeed: UInt64(receivedAt))
        var records: [LogRecord] = []
        var tickets: [CommitTicket] = []
        var received = 0
        var stored = 0
        for try await buffer in request.body {
            received += buffer.readableBytes
            counters.received(bytes: buffer.readableBytes)
            if received > maxBodyBytes {
                // A body sent without its length (chunked) is only found too large part-way: what came
                // before is stored, and the answer says how much, so that nothing is lost unannounced.
                for ticket in tickets { try await ticket.wait() }
                counters.stored(lines: stored, truncated: 0)
                counters.protocolError()
                throw tooLarge(
                    "the body grew past the limit; its first \(stored) documents were stored, the rest were not")
            }
            buffer.withUnsafeReadableBytes { bytes in
                framer.feedLines(bytes) { line, length in
                    if let record = decoder.line(line, originalLength: length, receivedAt: receivedAt) {
                        records.append(record)
                    }
                }
            }
            if records.count >= Self.recordsPerBatch {
                tickets.append(store.enqueue(records))
                stored += records.count
                records.removeAll(keepingCapacity: true)
                // A bounded window of batches awaiting their fsync keeps a huge body from filling memory.
                while tickets.count >= LineBatchIngestor.defaultMaxBatchesInFlight {
                    try await tickets.removeFirst().wait()
                }
            }
        }
        framer.finish { line, length in
            if let record = decoder.line(line, originalLength: length, receivedAt: receivedAt) {
                records.append(record)
            }
        }
        decoder.finish()
        if !records.isEmpty { tickets.append(store.enqueue(records)) }
        for ticket in tickets { try await ticket.wait() }
        counters.stored(lines: stored + records.count, truncated: 0)

        let took = started.duration(to: .now)
        let milliseconds = took.components.seconds * 1000 + took.components.attoseconds / 1_000_000_000_000_000
        var out = "{\"took\":\(milliseconds),\"errors\":\(decoder.items.contains { $0.error != nil }),\"items\":["
        for (position, item) in decoder.items.enumerated() {
            if position > 0 { out += "," }
            out += "{\"\(item.action)\":{\"_index\":"
            RecordJSON.appendString(item.index, to: &out)
            out += ",\"_id\":"
            RecordJSON.appendString(item.id, to: &out)
            if let error = item.error {
                out += ",\"status\":\(item.status),\"error\":{\"type\":\"illegal_argument_exception\",\"reason\":"
                RecordJSON.appendString(error, to: &out)
                out += "}}}"
            } else {
                out += ",\"_version\":1,\"result\":\"created\",\"_shards\":{\"total\":1,\"successful\":1,\"failed\":0}"
                out += ",\"_seq_no\":\(position),\"_primary_term\":1,\"status\":\(item.status)}}"
            }
        }
        return Self.json(out + "]}\n")
    }

    /// Elasticsearch's answer to a body over `http.max_content_length`.
    private func tooLarge(_ what: String) -> APIError {
        APIError(
            status: .contentTooLarge,
            message: "_bulk body over limits.max_bulk_body_bytes (\(maxBodyBytes) bytes): \(what). "
                + "Send smaller batches (Filebeat: bulk_max_size; Vector: batch.max_bytes; Fluent Bit: Buffer_Size).")
    }

    static func json(_ text: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
