import Foundation
import Hummingbird
import LogqBackup

/// Routes for backups and retention. See docs/api.md.
struct MaintenanceAPI {
    let backups: BackupRunner?
    let retention: RetentionEnforcer

    func register(on router: Router<BasicRequestContext>) {
        router.get("/api/v1/retention") { _, _ in try Self.json(retention.report()) }
        router.post("/api/v1/retention/run") { _, _ in
            let deleted = retention.enforce()
            return try Self.json([
                "deleted": deleted.map {
                    ["file": $0.segment.path, "class": $0.segment.retentionClass, "reason": $0.reason.rawValue]
                }
            ])
        }
        router.get("/api/v1/backups") { _, _ in
            guard let backups else { throw Self.notConfigured }
            let encoded = try JSONEncoder().encode(await backups.status)
            var status = try JSONSerialization.jsonObject(with: encoded) as? [String: Any] ?? [:]
            status["backups"] = backups.repository.list().map(Self.summary)
            return try Self.json(status)
        }
        router.post("/api/v1/backups") { _, _ in
            guard let backups else { throw Self.notConfigured }
            do {
                let manifest = try await backups.backupNow()
                return try Self.json(Self.summary(manifest))
            } catch let error as BackupError {
                throw APIError(status: .internalServerError, message: error.description)
            }
        }
    }

    static let notConfigured = APIError(
        status: .notFound, message: "no backup folder is configured: set backup.dir in the configuration")

    static func summary(_ manifest: BackupManifest) -> [String: Any] {
        [
            "id": manifest.id, "created_at": manifest.createdAt, "files": manifest.files.count,
            "segments": manifest.segments.count, "records": manifest.recordCount, "bytes": manifest.totalBytes,
            "copied_files": manifest.copiedFiles, "copied_bytes": manifest.copiedBytes,
            "reused_files": manifest.reusedFiles, "seconds": manifest.seconds,
        ]
    }

    static func json(_ object: [String: Any]) throws -> Response {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return Response(
            status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
