/// `backup:` in the configuration. See docs/configuration.md and docs/operations.md.
public struct BackupPolicy: Sendable, Equatable {
    public enum VerifySchedule: String, Sendable {
        case daily, weekly, off
        var intervalSeconds: Int64? {
            switch self {
            case .daily: 86_400
            case .weekly: 7 * 86_400
            case .off: nil
            }
        }
    }

    /// A local path or a mounted share.
    public var directory: String
    /// The daily backup's time of day, `HH:MM` in `timeZone`.
    public var hour = 2
    public var minute = 0
    /// An IANA zone; nil takes `parsers.time_zone`.
    public var timeZone: String?
    public var keepSeconds: Int64 = 90 * 86_400
    public var verify = VerifySchedule.weekly
    /// Bytes per second a backup may copy (nil: as fast as the disk goes).
    public var bytesPerSecond: Int64?

    public init(directory: String) {
        self.directory = directory
    }
}
