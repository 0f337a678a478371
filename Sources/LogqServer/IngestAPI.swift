import Hummingbird
import LogqIndex
import LogqIngest
import LogqParsers

/// `POST /api/v1/ingest`: NDJSON (or plain lines) in the body, one record per line, answered only once
/// every record is durable. The body is streamed: memory stays bounded however large it is.
struct IngestAPI {
    let store: LogStore
    static let maxBatchesInFlight = 16

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
        let decoder = LineDecoder(source: "http")
        var framer = LineFramer()
        var inFlight: [CommitTicket] = []
        var accepted = 0
        func submit(_ records: [LogRecord]) async throws {
            guard !records.isEmpty else { return }
            accepted += records.count
            inFlight.append(store.enqueue(records))
            while inFlight.count >= Self.maxBatchesInFlight { try await inFlight.removeFirst().wait() }
        }
        for try await buffer in request.body {
            let now = currentTimeNanoseconds()
            var records: [LogRecord] = []
            buffer.withUnsafeReadableBytes { bytes in
                framer.feed(bytes) { line, length in
                    records.append(decoder.decode(line, receivedAt: now, originalLength: length))
                }
            }
            try await submit(records)
        }
        var last: [LogRecord] = []
        framer.finish { line, length in
            last.append(decoder.decode(line, receivedAt: currentTimeNanoseconds(), originalLength: length))
        }
        try await submit(last)
        for ticket in inFlight { try await ticket.wait() }
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: "{\"accepted\":\(accepted)}\n")))
    }
}
