import Foundation
import Logging
import LogqIncidents
import LogqIndex
import ServiceLifecycle

/// Writes the weekly review (`GET /api/v1/reports/weekly`) and emails it: on the schedule of
/// `incidents.notifications.weekly_report`, and on request (`POST /api/v1/reports/weekly/email`).
struct ReportMailer: Sendable {
    let policy: NotificationPolicy
    let desk: IncidentDesk
    let store: LogStore
    let operations: @Sendable () async -> [String]

    enum Failure: Error, CustomStringConvertible {
        case notConfigured
        case badWeek(String)
        case sending(SMTPError)

        var description: String {
            switch self {
            case .notConfigured:
                return
                    "no weekly report email is configured: set incidents.notifications.weekly_report and an email channel"
            case .badWeek(let week): return "week must be an ISO week such as 2026-W48, got '\(week)'"
            case .sending(let error): return "the weekly review was not sent: \(error)"
            }
        }
    }

    /// The review of the ISO week `week`, from the incident records and the store.
    func report(week: String) async throws -> WeeklyReport {
        guard
            let report = try WeeklyReport.write(
                week: week, incidents: try await desk.incidents(), using: StoreReportQueries(store: store),
                operations: await operations())
        else { throw Failure.badWeek(week) }
        return report
    }

    /// Sends the review of `week` to the weekly report's channel; returns the recipients.
    func send(week: String) async throws -> [String] {
        guard let schedule = policy.weeklyReport,
            let channel = policy.channels.first(where: { $0.name == schedule.channel }), let email = channel.email
        else { throw Failure.notConfigured }
        let report = try await report(week: week)
        let message = EmailMessage(
            from: email.from, to: email.to, subject: "logq weekly review \(week)",
            body: schedule.html ? report.html() : report.markdown(), isHTML: schedule.html)
        do {
            try await SMTPClient(host: email.host, port: email.port, timeoutSeconds: policy.timeoutSeconds).send(
                message)
        } catch {
            throw Failure.sending(error)
        }
        return email.to
    }
}

/// Sends the last complete week's review at the configured weekday and time (UTC).
struct ReportScheduleService: Service {
    let mailer: ReportMailer
    let logger: Logger

    func run() async throws {
        guard let schedule = mailer.policy.weeklyReport else {
            // Nothing to send; a service that returns early would stop the whole group.
            try? await gracefulShutdown()
            return
        }
        var next = Self.next(after: Date(), schedule)
        while !Task.isCancelledOrShuttingDown {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(30)) }
            guard !Task.isCancelledOrShuttingDown, Date() >= next else { continue }
            let week = WeeklyReport.week(containing: Int64((Date().timeIntervalSince1970 - 7 * 86400) * 1e9))
            do {
                let recipients = try await mailer.send(week: week)
                logger.info(
                    "weekly review emailed", metadata: ["week": "\(week)", "recipients": "\(recipients.count)"])
            } catch {
                logger.error("weekly review not emailed", metadata: ["week": "\(week)", "error": "\(error)"])
            }
            next = Self.next(after: Date(), schedule)
        }
    }

    /// The first instant after `date` at the schedule's weekday and time, in UTC.
    static func next(after date: Date, _ schedule: NotificationPolicy.WeeklySchedule) -> Date {
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        var components = DateComponents()
        components.weekday = schedule.weekday % 7 + 1  // Calendar: 1 = Sunday
        components.hour = schedule.hour
        components.minute = schedule.minute
        return calendar.nextDate(after: date, matching: components, matchingPolicy: .nextTime)
            ?? date.addingTimeInterval(7 * 86400)
    }
}
