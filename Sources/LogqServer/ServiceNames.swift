/// Short names for the service group's log lines. Without them ServiceLifecycle logs each service's whole
/// value, which holds the configuration: notification credentials included.
extension IncidentService: CustomStringConvertible { var description: String { "incidents" } }
extension ReportScheduleService: CustomStringConvertible { var description: String { "weekly report schedule" } }
extension OwnLogService: CustomStringConvertible { var description: String { "own log ingest" } }
extension RetentionService: CustomStringConvertible { var description: String { "retention" } }
extension ReloadService: CustomStringConvertible { var description: String { "SIGHUP reload" } }
extension LiveTails: CustomStringConvertible { var description: String { "live tails" } }
extension BackupScheduleService: CustomStringConvertible { var description: String { "backup schedule" } }
extension StoreService: CustomStringConvertible { var description: String { "store" } }
