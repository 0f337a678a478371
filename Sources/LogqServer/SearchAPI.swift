import Foundation
import Hummingbird
import LogqIndex
import LogqIngest
import LogqParsers
import LogqQuery

/// The search routes of the HTTP API. See docs/api.md.
struct SearchAPI {
    let store: LogStore
    let parseCounters: ParseCounters
    let listenerCounters: [String: ListenerCounters]
    static let maxLimit = 1_000_000

    func register(on router: Router<BasicRequestContext>) {
        router.get("/api/v1/search") { request, _ in try search(request) }
        router.get("/api/v1/count") { request, _ in try count(request) }
        router.get("/api/v1/stats") { _, _ in
            let statistics = store.statistics()
            var object =
                try JSONSerialization.jsonObject(with: JSONEncoder().encode(statistics)) as? [String: Any] ?? [:]
            let parsing = parseCounters.snapshot
            object["parsing"] = [
                "parsed": parsing.parsed, "unmatched": parsing.unmatched, "limitExceeded": parsing.limitExceeded,
            ]
            object["listeners"] = listenerCounters.mapValues(\.snapshot)
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
        router.post("/api/v1/flush") { _, _ in
            try await store.flush()
            return Response(status: .noContent)
        }
    }

    private func parseQuery(_ request: Request) throws -> Query {
        guard let text = request.uri.queryParameters.get("q") else {
            throw APIError(status: .badRequest, message: "missing the q parameter: /api/v1/search?q=QUERY")
        }
        do {
            return try Query.parse(text)
        } catch {
            throw APIError(status: .badRequest, message: error.message, position: error.position)
        }
    }

    private func search(_ request: Request) throws -> Response {
        let query = try parseQuery(request)
        var limit = 100
        if let text = request.uri.queryParameters.get("limit") {
            guard let value = Int(text), value > 0, value <= Self.maxLimit else {
                throw APIError(status: .badRequest, message: "limit must be an integer from 1 to \(Self.maxLimit)")
            }
            limit = value
        }
        let records = try QueryExecutor(snapshot: store.snapshot()).search(query, limit: limit)
        var body = ByteBuffer()
        body.reserveCapacity(records.count * 256)
        for record in records {
            body.writeString(RecordJSON.encode(record))
            body.writeInteger(UInt8(ascii: "\n"))
        }
        return Response(status: .ok, headers: [.contentType: "application/x-ndjson"], body: .init(byteBuffer: body))
    }

    private func count(_ request: Request) throws -> Response {
        let query = try parseQuery(request)
        let total = try QueryExecutor(snapshot: store.snapshot()).count(query)
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: "{\"count\":\(total)}\n")))
    }
}

/// An API error answered as `{"error":{"message":…,"position":…}}` with its status.
struct APIError: Error, HTTPResponseError {
    let status: HTTPResponse.Status
    let message: String
    var position: Int?

    init(status: HTTPResponse.Status, message: String, position: Int? = nil) {
        self.status = status
        self.message = message
        self.position = position
    }

    var headers: HTTPFields { [.contentType: "application/json"] }

    func body(allocator: ByteBufferAllocator) -> ByteBuffer? {
        var text = "{\"error\":{\"message\":"
        RecordJSON.appendString(message, to: &text)
        if let position { text += ",\"position\":\(position)" }
        text += "}}\n"
        return allocator.buffer(string: text)
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(status: status, headers: headers, body: .init(byteBuffer: body(allocator: ByteBufferAllocator())!))
    }
}
