import Foundation
import Hummingbird
import LogqIncidents

/// Alert groups, incidents and their workflow, and Alertmanager's webhook. See docs/api.md.
struct IncidentAPI {
    let desk: IncidentDesk

    func register(on router: Router<BasicRequestContext>) {
        router.get("/api/v1/alerts") { _, _ in try Self.json(await desk.alertGroups) }
        router.get("/api/v1/alerts/status") { _, _ in
            try Self.json(
                AlertStatus(
                    watermark: await desk.watermark, lateRecords: await desk.lateRecords,
                    untrackedKeys: await desk.untrackedKeys))
        }
        router.get("/api/v1/incidents") { request, _ in
            let active = request.uri.queryParameters.get("active") == "true"
            return try Self.json(try await Self.mapped { try await desk.incidents(activeOnly: active) })
        }
        router.get("/api/v1/incidents/:id") { _, context in
            let id = try Self.id(context)
            return try Self.json(try await Self.mapped { try await desk.incident(id) })
        }
        router.post("/api/v1/incidents") { request, _ in
            let body = try await Self.body(request)
            guard let group = body["from_alert"] as? String else {
                throw APIError(status: .badRequest, message: "give {\"from_alert\": GROUP, \"by\": NAME}")
            }
            let person = body["by"] as? String ?? "on-call"
            return try Self.json(try await Self.mapped { try await desk.openIncident(fromAlert: group, by: person) })
        }
        router.post("/api/v1/incidents/:id/:action") { request, context in
            let id = try Self.id(context)
            let body = try await Self.body(request)
            let person = body["by"] as? String ?? "on-call"
            let action = context.parameters.get("action") ?? ""
            let incident = try await Self.mapped { () async throws -> Incident in
                switch action {
                case "ack": return try await desk.acknowledge(id, by: person)
                case "note": return try await desk.note(id, body["text"] as? String ?? "", by: person)
                case "mitigate": return try await desk.move(id, to: .mitigated, by: person)
                case "resolve": return try await desk.move(id, to: .resolved, by: person)
                case "reopen": return try await desk.move(id, to: .open, by: person)
                case "review": return try await desk.move(id, to: .reviewed, by: person)
                default:
                    throw IncidentError(
                        .badRequest, "'\(action)' is not an action (ack, note, mitigate, resolve, reopen, review)")
                }
            }
            return try Self.json(incident)
        }
        router.post("/api/v1/alertmanager") { request, _ in
            let data = try await Data(buffer: request.body.collect(upTo: 4 << 20))
            let now = Int64(Date().timeIntervalSince1970 * 1e9)
            let signals = try await Self.mapped { try AlertmanagerWebhook.signals(from: data, receivedAt: now) }
            for signal in signals { try await Self.mapped { try await desk.take(signal) } }
            return try Self.json(["accepted": signals.count])
        }
    }

    /// How far the rules have evaluated (event time, ns), and the records that came after their window.
    struct AlertStatus: Encodable {
        var watermark: Int64?
        var lateRecords: Int
        var untrackedKeys: Int
    }

    /// Turns the desk's typed errors into HTTP answers.
    private static func mapped<T>(_ work: () async throws -> T) async throws -> T {
        do {
            return try await work()
        } catch let error as IncidentError {
            switch error.kind {
            case .notFound: throw APIError(status: .notFound, message: error.message)
            case .notAllowed: throw APIError(status: .conflict, message: error.message)
            case .badRequest: throw APIError(status: .badRequest, message: error.message)
            }
        }
    }

    private static func id(_ context: BasicRequestContext) throws -> Int64 {
        guard let text = context.parameters.get("id"), let id = Int64(text) else {
            throw APIError(status: .badRequest, message: "an incident id is a number, as `logq incident list` shows")
        }
        return id
    }

    private static func body(_ request: Request) async throws -> [String: Any] {
        let buffer = try await request.body.collect(upTo: 1 << 20)
        guard buffer.readableBytes > 0 else { return [:] }
        guard let object = try? JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: Any] else {
            throw APIError(status: .badRequest, message: "the body must be a JSON object")
        }
        return object
    }

    static func json<T: Encodable>(_ value: T) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let data = try encoder.encode(value)
        return Response(
            status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
