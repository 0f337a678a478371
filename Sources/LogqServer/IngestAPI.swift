import Hummingbird
import LogqIndex
import LogqIngest
import LogqParsers

/// `POST /api/v1/ingest`: NDJSON (or plain lines) in the body, one record per line, answered only once
/// every record is durable. The body is streamed: memory stays bounded however large it is.
struct IngestAPI {
    let store: LogStore
    let counters: ListenerCounters

    func register(on router: Router<BasicRequestContext>) {
        router.post("/api/v1/ingest") { request, _ in
            do {
                return try await ingest(request)
            } catch let error as APIError {
                throw error
            } catch let error as StorageError {
                throw APIError(
                    status: .serviceUnavailable,
                    message: "the batch was not stored (\(error)); nothing in it is acknowledged, send it again")
            }
        }
    }

    private func ingest(_ request: Request) async throws -> Response {
        var ingestor = LineBatchIngestor(
            store: store, maker: LineRecordMaker(decoder: LineDecoder(source: "http")), listenerCounters: counters)
        for try await buffer in request.body {
            counters.received(bytes: buffer.readableBytes)
            try await ingestor.feed(buffer)
        }
        try await ingestor.finish()
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: "{\"accepted\":\(ingestor.submitted)}\n")))
    }
}
