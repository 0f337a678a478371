import Foundation
import GRDB

/// Fault records in SQLite (`DATA/incidents.sqlite`): one row per incident, with its signals, root-cause
/// candidates and runbook hints as JSON columns, and its timeline in a table of its own.
public final class IncidentDatabase: Sendable {
    private let queue: DatabaseQueue
    public let path: String
    /// Its name in the data directory (and in backups).
    public static let fileName = "incidents.sqlite"

    public init(path: String) throws {
        self.path = path
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        queue = try DatabaseQueue(path: path, configuration: configuration)
        try Self.migrator.migrate(queue)
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "incident") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("title", .text).notNull()
                table.column("severity", .text).notNull()
                table.column("category", .text).notNull()
                table.column("status", .text).notNull()
                table.column("services", .text).notNull()
                table.column("first_seen", .integer).notNull()
                table.column("last_seen", .integer).notNull()
                table.column("opened_at", .integer).notNull()
                table.column("acknowledged_at", .integer)
                table.column("acknowledged_by", .text)
                table.column("mitigated_at", .integer)
                table.column("resolved_at", .integer)
                table.column("reviewed_at", .integer)
                table.column("on_call", .text).notNull()
                table.column("alert_group", .text).notNull()
                table.column("signals", .text).notNull()
                table.column("root_causes", .text).notNull()
                table.column("runbook", .text).notNull()
            }
            try db.create(table: "incident_event") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("incident_id", .integer).notNull().indexed().references("incident", onDelete: .cascade)
                table.column("at", .integer).notNull()
                table.column("kind", .text).notNull()
                table.column("actor", .text).notNull()
                table.column("text", .text).notNull()
            }
        }
        return migrator
    }

    /// Stores a new incident (its `id` is ignored) with its timeline; returns it with its id.
    public func insert(_ incident: Incident) throws -> Incident {
        try queue.write { db in
            var row = try IncidentRow(incident)
            try row.insert(db)
            var stored = incident
            stored.id = row.id!
            for event in incident.timeline { try EventRow(event, incident: stored.id).insert(db) }
            return stored
        }
    }

    /// Replaces an incident's columns and appends `events` to its timeline, in one transaction.
    public func update(_ incident: Incident, appending events: [TimelineEvent]) throws {
        try queue.write { db in
            try IncidentRow(incident).update(db)
            for event in events { try EventRow(event, incident: incident.id).insert(db) }
        }
    }

    public func incident(_ id: Int64) throws -> Incident? {
        try queue.read { db in
            guard let row = try IncidentRow.fetchOne(db, key: id) else { return nil }
            return try row.incident(timeline: Self.timeline(of: id, db))
        }
    }

    /// Incidents, newest first; `active` keeps those not yet resolved.
    public func incidents(
        activeOnly: Bool = false, openedFrom: Int64? = nil, openedTo: Int64? = nil
    ) throws
        -> [Incident]
    {
        try queue.read { db in
            var request = IncidentRow.order(Column("id").desc)
            if activeOnly {
                request = request.filter(
                    [IncidentStatus.open, .acknowledged, .mitigated].map(\.rawValue).contains(Column("status")))
            }
            if let openedFrom { request = request.filter(Column("first_seen") >= openedFrom) }
            if let openedTo { request = request.filter(Column("first_seen") < openedTo) }
            return try request.fetchAll(db).map { try $0.incident(timeline: Self.timeline(of: $0.id!, db)) }
        }
    }

    private static func timeline(of id: Int64, _ db: Database) throws -> [TimelineEvent] {
        try EventRow.filter(Column("incident_id") == id).order(Column("id")).fetchAll(db).map(\.event)
    }

    /// A consistent copy for backups (SQLite's online backup), while the server keeps writing.
    public func backup(to path: String) throws {
        let copy = try DatabaseQueue(path: path)
        try queue.backup(to: copy)
        try copy.close()
    }
}

private let encoder: JSONEncoder = {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return encoder
}()

private func json<T: Encodable>(_ value: T) throws -> String {
    String(decoding: try encoder.encode(value), as: UTF8.self)
}
private func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
    try JSONDecoder().decode(type, from: Data(text.utf8))
}

private struct IncidentRow: Codable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "incident"
    var id: Int64?
    var title: String
    var severity: String
    var category: String
    var status: String
    var services: String
    var first_seen: Int64
    var last_seen: Int64
    var opened_at: Int64
    var acknowledged_at: Int64?
    var acknowledged_by: String?
    var mitigated_at: Int64?
    var resolved_at: Int64?
    var reviewed_at: Int64?
    var on_call: String
    var alert_group: String
    var signals: String
    var root_causes: String
    var runbook: String

    init(_ incident: Incident) throws {
        id = incident.id > 0 ? incident.id : nil
        title = incident.title
        severity = incident.severity.rawValue
        category = incident.category.rawValue
        status = incident.status.rawValue
        services = try json(incident.services)
        first_seen = incident.firstSeen
        last_seen = incident.lastSeen
        opened_at = incident.openedAt
        acknowledged_at = incident.acknowledgedAt
        acknowledged_by = incident.acknowledgedBy
        mitigated_at = incident.mitigatedAt
        resolved_at = incident.resolvedAt
        reviewed_at = incident.reviewedAt
        on_call = incident.onCall
        alert_group = incident.alertGroup
        signals = try json(incident.signals)
        root_causes = try json(incident.rootCauses)
        runbook = try json(incident.runbook)
    }

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    func incident(timeline: [TimelineEvent]) throws -> Incident {
        Incident(
            id: id ?? 0, title: title, severity: Severity(rawValue: severity) ?? .info,
            category: FaultCategory(rawValue: category) ?? .application,
            status: IncidentStatus(rawValue: status) ?? .open, services: try decode([String].self, services),
            firstSeen: first_seen, lastSeen: last_seen, openedAt: opened_at, acknowledgedAt: acknowledged_at,
            acknowledgedBy: acknowledged_by, mitigatedAt: mitigated_at, resolvedAt: resolved_at,
            reviewedAt: reviewed_at, onCall: on_call, alertGroup: alert_group,
            signals: try decode([SignalState].self, signals),
            rootCauses: try decode([RootCauseCandidate].self, root_causes),
            runbook: try decode([RunbookHint].self, runbook), timeline: timeline)
    }
}

private struct EventRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "incident_event"
    var id: Int64?
    var incident_id: Int64
    var at: Int64
    var kind: String
    var actor: String
    var text: String

    init(_ event: TimelineEvent, incident: Int64) {
        incident_id = incident
        at = event.at
        kind = event.kind.rawValue
        actor = event.actor
        text = event.text
    }

    var event: TimelineEvent {
        TimelineEvent(at: at, kind: TimelineEvent.Kind(rawValue: kind) ?? .note, actor: actor, text: text)
    }
}
