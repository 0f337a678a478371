import Foundation
import Hummingbird
import LogqIndex
import LogqIngest
import LogqParsers
import LogqQuery
import Synchronization

/// The search routes of the HTTP API. See docs/api.md.
struct SearchAPI {
    let store: LogStore
    let parseCounters: ParseCounters
    let listenerCounters: [String: ListenerCounters]
    let tails: LiveTails
    static let maxLimit = 1_000_000

    func register(on router: Router<BasicRequestContext>) {
        router.get("/api/v1/search") { request, _ in try search(request) }
        router.get("/api/v1/count") { request, _ in try count(request) }
        router.get("/api/v1/tail") { request, _ in try tail(request) }
        router.get("/api/v1/stats") { request, _ in
            // With a query: its pipeline's table (`… | stats …`); without: the server's own figures.
            if request.uri.formParameter("q") != nil { return try pipelineTable(request) }
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
        guard let text = request.uri.formParameter("q") else {
            throw APIError(status: .badRequest, message: "missing the q parameter: /api/v1/search?q=QUERY")
        }
        do {
            return try Query.parse(text)
        } catch {
            throw APIError(status: .badRequest, message: error.message, position: error.position)
        }
    }

    private func limit(_ request: Request) throws -> Int {
        guard let text = request.uri.queryParameters.get("limit") else { return 100 }
        guard let value = Int(text), value > 0, value <= Self.maxLimit else {
            throw APIError(status: .badRequest, message: "limit must be an integer from 1 to \(Self.maxLimit)")
        }
        return value
    }

    private func run(_ query: Query, limit: Int) throws -> QueryResult {
        do {
            return try QueryExecutor(snapshot: store.snapshot()).run(query, limit: limit)
        } catch let error as QueryExecutor.PipelineError {
            throw APIError(status: .unprocessableContent, message: error.description)
        }
    }

    /// NDJSON: one record per line, or one row object per line for a pipeline that makes a table.
    private func search(_ request: Request) throws -> Response {
        let query = try parseQuery(request)
        let limit = try limit(request)
        var body = ByteBuffer()
        let oldestFirst = request.uri.queryParameters.get("order") == "asc"
        if oldestFirst && !query.pipes.isEmpty {
            throw APIError(status: .badRequest, message: "order=asc applies to records, not to pipelines: use | sort")
        }
        let result =
            oldestFirst
            ? QueryResult.records(try QueryExecutor(snapshot: store.snapshot()).searchOldestFirst(query, limit: limit))
            : try run(query, limit: query.pipes.isEmpty ? limit : Self.maxLimit)
        switch result {
        case .records(let records):
            body.reserveCapacity(records.count * 256)
            for record in records.prefix(limit) {
                body.writeString(RecordJSON.encode(record))
                body.writeInteger(UInt8(ascii: "\n"))
            }
        case .table(let table):
            for line in table.jsonLines() {
                body.writeString(line)
                body.writeInteger(UInt8(ascii: "\n"))
            }
        }
        return Response(status: .ok, headers: [.contentType: "application/x-ndjson"], body: .init(byteBuffer: body))
    }

    /// Live tail: matching records as they are committed, one NDJSON line each, until the client goes.
    /// A client that reads too slowly loses the oldest undelivered batches, and is told how many records
    /// it lost in a `{"_dropped":N}` line.
    private func tail(_ request: Request) throws -> Response {
        let query = try parseQuery(request)
        guard query.pipes.isEmpty else {
            throw APIError(status: .badRequest, message: "a live tail takes a filter without pipes")
        }
        let (stream, continuation) = AsyncStream<ByteBuffer>.makeStream(bufferingPolicy: .bufferingNewest(1024))
        // A first empty chunk sends the headers now, so the client knows the tail is live.
        continuation.yield(ByteBuffer())
        guard let tailID = tails.add(continuation) else {
            throw APIError(
                status: .serviceUnavailable, message: "the server is shutting down; reconnect to the restarted one")
        }
        let dropped = Mutex(0)
        let token = store.addCommitObserver { records in
            var buffer = ByteBuffer()
            let lost = dropped.withLock { count in
                defer { count = 0 }
                return count
            }
            if lost > 0 { buffer.writeString("{\"_dropped\":\(lost)}\n") }
            for record in records where query.matches(record) {
                buffer.writeString(RecordJSON.encode(record))
                buffer.writeInteger(UInt8(ascii: "\n"))
            }
            guard buffer.readableBytes > 0 else { return }
            if case .dropped(let old) = continuation.yield(buffer) {
                // `old` is the oldest buffered batch, pushed out to make room: count its lines.
                let lines = old.readableBytesView.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
                dropped.withLock { $0 += lines }
            }
        }
        let tails = tails
        continuation.onTermination = { _ in
            store.removeCommitObserver(token)
            tails.remove(tailID)
        }
        return Response(
            status: .ok, headers: [.contentType: "application/x-ndjson", .cacheControl: "no-cache"],
            body: ResponseBody(asyncSequence: stream))
    }

    /// `{"columns":[…],"rows":[[…],…]}` of a pipeline (records become rows of their fields' columns).
    private func pipelineTable(_ request: Request) throws -> Response {
        let query = try parseQuery(request)
        let limit = request.uri.queryParameters.get("limit") == nil ? Self.maxLimit : try limit(request)
        let table: ResultTable
        switch try run(query, limit: limit) {
        case .table(let result): table = result
        case .records(let records):
            let columns = ["_time", "level", "service", "host", "_msg"]
            table = ResultTable(
                columns: columns, rows: records.map { record in columns.map { FieldAccess.value(of: $0, in: record) } })
        }
        var json = "{\"columns\":["
        for (index, column) in table.columns.enumerated() {
            if index > 0 { json += "," }
            RecordJSON.appendString(column, to: &json)
        }
        json += "],\"rows\":["
        for (index, row) in table.rows.enumerated() {
            if index > 0 { json += "," }
            json += "[" + row.map(ResultTable.json).joined(separator: ",") + "]"
        }
        json += "]}\n"
        return Response(
            status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: json)))
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
