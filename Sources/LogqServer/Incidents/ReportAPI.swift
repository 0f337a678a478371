import Foundation
import Hummingbird
import LogqIncidents
import LogqIndex
import LogqQuery

/// Postmortems and the weekly review, computed from the incident records and the store. See docs/api.md.
struct ReportAPI {
    let desk: IncidentDesk
    let store: LogStore
    /// Writes and emails the weekly review.
    let mailer: ReportMailer

    func register(on router: Router<BasicRequestContext>) {
        router.get("/api/v1/incidents/:id/postmortem") { request, context in
            guard let text = context.parameters.get("id"), let id = Int64(text) else {
                throw APIError(
                    status: .badRequest, message: "an incident id is a number, as `logq incident list` shows")
            }
            let incident: Incident
            do {
                incident = try await desk.incident(id)
            } catch let error as IncidentError {
                throw APIError(status: .notFound, message: error.message)
            }
            let postmortem = try Postmortem.write(for: incident, using: StoreReportQueries(store: store))
            return try Self.render(
                request, json: postmortem, markdown: postmortem.markdown(), html: postmortem.html())
        }
        router.post("/api/v1/reports/weekly/email") { request, _ in
            let now = Int64(Date().timeIntervalSince1970 * 1e9)
            let week = request.uri.queryParameters.get("week") ?? WeeklyReport.week(containing: now)
            do {
                return try IncidentAPI.json([
                    "week": week, "sent_to": try await mailer.send(week: week).joined(separator: ", "),
                ])
            } catch let failure as ReportMailer.Failure {
                switch failure {
                case .notConfigured: throw APIError(status: .notFound, message: failure.description)
                case .badWeek: throw APIError(status: .badRequest, message: failure.description)
                case .sending: throw APIError(status: .badGateway, message: failure.description)
                }
            }
        }
        router.get("/api/v1/reports/weekly") { request, _ in
            let now = Int64(Date().timeIntervalSince1970 * 1e9)
            let week = request.uri.queryParameters.get("week") ?? WeeklyReport.week(containing: now)
            let report: WeeklyReport
            do {
                report = try await mailer.report(week: week)
            } catch let failure as ReportMailer.Failure {
                throw APIError(status: .badRequest, message: failure.description)
            }
            return try Self.render(request, json: report, markdown: report.markdown(), html: report.html())
        }
    }

    private static func render<T: Encodable>(
        _ request: Request, json: T, markdown: String, html: String
    ) throws
        -> Response
    {
        switch request.uri.queryParameters.get("format") ?? "md" {
        case "json": return try IncidentAPI.json(json)
        case "html": return text(html, type: "text/html; charset=utf-8")
        case "md", "markdown": return text(markdown, type: "text/markdown; charset=utf-8")
        default: throw APIError(status: .badRequest, message: "format is md, html or json")
        }
    }

    private static func text(_ body: String, type: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: type], body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}

/// Reports' queries, run on a snapshot of the store.
struct StoreReportQueries: ReportQueries {
    let store: LogStore

    func count(_ query: Query) throws -> Int {
        try Self.explained(query) { try QueryExecutor(snapshot: store.snapshot()).count(query) }
    }

    func table(_ query: Query) throws -> ResultTable {
        try Self.explained(query) {
            switch try QueryExecutor(snapshot: store.snapshot()).run(query, limit: 1000) {
            case .table(let table): return table
            case .records(let records):
                return ResultTable(columns: ["_msg"], rows: records.map { [.string($0.message)] })
            }
        }
    }

    /// A report that cannot be computed says which of its queries failed and why.
    private static func explained<T>(_ query: Query, _ work: () throws -> T) throws -> T {
        do {
            return try work()
        } catch {
            throw APIError(
                status: .internalServerError, message: "the report's query '\(query)' failed: \(error)")
        }
    }
}
