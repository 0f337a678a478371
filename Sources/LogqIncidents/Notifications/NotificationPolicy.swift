import LogqQuery

/// `incidents.notifications:`: where notices go and how often they repeat until someone acknowledges.
public struct NotificationPolicy: Sendable, Equatable {
    public enum Shape: String, Sendable, Equatable, CaseIterable {
        /// `{"event":…,"incident":{…}}`
        case webhook
        /// WeCom (企业微信) group robot: `{"msgtype":"markdown","markdown":{"content":…}}`
        case wecom
        /// DingTalk group robot: `{"msgtype":"markdown","markdown":{"title":…,"text":…}}`
        case dingtalk
        /// Slack incoming webhook: `{"text":…}`
        case slack
        /// Email through an SMTP relay (`smtp: host:port`, `from`, `to`).
        case email
    }

    /// Where an `email` channel sends.
    public struct Email: Sendable, Equatable {
        public var host: String
        public var port: Int
        public var from: String
        public var to: [String]

        public init(host: String, port: Int, from: String, to: [String]) {
            self.host = host
            self.port = port
            self.from = from
            self.to = to
        }
    }

    /// `reports.weekly`: the weekly review, emailed every week at a set time.
    public struct WeeklySchedule: Sendable, Equatable {
        public var channel: String
        /// 1 = Monday … 7 = Sunday (ISO), and the time of day, in UTC.
        public var weekday: Int
        public var hour: Int
        public var minute: Int
        public var html: Bool
    }

    public struct Channel: Sendable, Equatable {
        public var name: String
        public var shape: Shape
        /// Kept out of every log and timeline entry: robot URLs carry their access token.
        public var url: String
        /// Who reads it: `ops`, `tech_lead`, or any name a route uses.
        public var audience: String
        public var email: Email?

        public init(name: String, shape: Shape, url: String, audience: String, email: Email? = nil) {
            self.name = name
            self.shape = shape
            self.url = url
            self.audience = audience
            self.email = email
        }
    }

    public struct Route: Sendable, Equatable {
        public var audiences: [String]
        /// Nanoseconds between repeats until acknowledged; nil notifies once.
        public var repeatEvery: Int64?
    }

    public var channels: [Channel] = []
    public var weeklyReport: WeeklySchedule?
    /// The policy: critical at once to ops and the tech lead, again every 5 min until acknowledged; warning
    /// at once to ops, every 15 min; info once, to ops.
    public var routes: [Severity: Route] = [
        .critical: Route(audiences: ["ops", "tech_lead"], repeatEvery: 5 * 60 * nanosecondsPerSecond),
        .warning: Route(audiences: ["ops"], repeatEvery: 15 * 60 * nanosecondsPerSecond),
        .info: Route(audiences: ["ops"], repeatEvery: nil),
    ]
    /// Attempts per notice when a channel fails, waiting `retryBackoff` × 2ⁿ between them.
    public var attempts = 4
    public var retryBackoff: Int64 = 2 * nanosecondsPerSecond
    /// Seconds a channel may take to answer.
    public var timeoutSeconds: Double = 10

    public init() {}

    public static func parse(section value: Any?) throws(IncidentPolicyError) -> NotificationPolicy {
        var policy = NotificationPolicy()
        guard let value else { return policy }
        guard let section = value as? [String: Any] else {
            throw IncidentPolicyError(problems: [
                "incidents.notifications: must be a mapping with channels: and routes:"
            ])
        }
        var problems: [String] = []
        for (key, value) in section {
            switch key {
            case "channels":
                guard let list = value as? [[String: Any]] else {
                    problems.append("incidents.notifications.channels: must be a list of {name, type, url, audience}")
                    continue
                }
                for (index, entry) in list.enumerated() {
                    let at = "incidents.notifications.channels[\(index)]"
                    if entry["type"] as? String == "email" {
                        if let channel = parseEmail(entry, at: at, problems: &problems) {
                            policy.channels.append(channel)
                        }
                        continue
                    }
                    guard let name = entry["name"] as? String, let url = entry["url"] as? String,
                        url.hasPrefix("http://") || url.hasPrefix("https://")
                    else {
                        problems.append("\(at): needs name: and url: (http:// or https://)")
                        continue
                    }
                    let typeName = entry["type"] as? String ?? "webhook"
                    guard let shape = Shape(rawValue: typeName) else {
                        problems.append(
                            "\(at).type: '\(typeName)' is not one of "
                                + Shape.allCases.map(\.rawValue).joined(separator: ", "))
                        continue
                    }
                    policy.channels.append(
                        Channel(name: name, shape: shape, url: url, audience: entry["audience"] as? String ?? "ops"))
                }
            case "routes":
                guard let map = value as? [String: Any] else {
                    problems.append("incidents.notifications.routes: must map a severity to {to: [...], repeat: 5m}")
                    continue
                }
                for (name, entry) in map {
                    guard let severity = Severity(rawValue: name), let entry = entry as? [String: Any],
                        let audiences = entry["to"] as? [String]
                    else {
                        problems.append("incidents.notifications.routes.\(name): a severity with to: [audiences]")
                        continue
                    }
                    var every: Int64?
                    if let text = entry["repeat"] as? String, text != "never" {
                        guard let nanoseconds = Quantities.nanoseconds(text), nanoseconds > 0 else {
                            problems.append("incidents.notifications.routes.\(name).repeat: a duration or never")
                            continue
                        }
                        every = nanoseconds
                    }
                    policy.routes[severity] = Route(audiences: audiences, repeatEvery: every)
                }
            case "weekly_report":
                guard let entry = value as? [String: Any], let channel = entry["email"] as? String else {
                    problems.append(
                        "incidents.notifications.weekly_report: {email: CHANNEL, day: monday, at: \"09:00\"}")
                    continue
                }
                let days = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
                let day = (entry["day"] as? String ?? "monday").lowercased()
                let time = (entry["at"] as? String ?? "09:00").split(separator: ":").compactMap { Int($0) }
                guard let weekday = days.firstIndex(of: day), time.count == 2, (0..<24).contains(time[0]),
                    (0..<60).contains(time[1])
                else {
                    problems.append("incidents.notifications.weekly_report: day is a weekday name, at is HH:MM (UTC)")
                    continue
                }
                policy.weeklyReport = WeeklySchedule(
                    channel: channel, weekday: weekday + 1, hour: time[0], minute: time[1],
                    html: (entry["format"] as? String ?? "html") == "html")
            case "attempts":
                guard let number = value as? Int, number >= 1 else {
                    problems.append("incidents.notifications.attempts: a number of 1 or more")
                    continue
                }
                policy.attempts = number
            case "retry_backoff":
                guard let text = value as? String, let nanoseconds = Quantities.nanoseconds(text) else {
                    problems.append("incidents.notifications.retry_backoff: a duration such as 2s")
                    continue
                }
                policy.retryBackoff = nanoseconds
            case "timeout":
                guard let text = value as? String, let seconds = Quantities.seconds(text) else {
                    problems.append("incidents.notifications.timeout: a duration such as 10s")
                    continue
                }
                policy.timeoutSeconds = seconds
            default:
                problems.append(
                    "incidents.notifications.\(key): unknown key (known: channels, routes, attempts, retry_backoff, "
                        + "timeout, weekly_report)"
                )
            }
        }
        if let weekly = policy.weeklyReport,
            !policy.channels.contains(where: { $0.name == weekly.channel && $0.email != nil })
        {
            problems.append("incidents.notifications.weekly_report.email: '\(weekly.channel)' is not an email channel")
        }
        guard problems.isEmpty else { throw IncidentPolicyError(problems: problems.sorted()) }
        return policy
    }

    private static func parseEmail(_ entry: [String: Any], at: String, problems: inout [String]) -> Channel? {
        guard let name = entry["name"] as? String, let relay = entry["smtp"] as? String,
            let colon = relay.lastIndex(of: ":"), let port = Int(relay[relay.index(after: colon)...]),
            let from = entry["from"] as? String, let to = entry["to"] as? [String], !to.isEmpty
        else {
            problems.append("\(at): an email channel needs name:, smtp: HOST:PORT, from: and to: [addresses]")
            return nil
        }
        let host = String(relay[..<colon])
        return Channel(
            name: name, shape: .email, url: "smtp://\(relay)", audience: entry["audience"] as? String ?? "ops",
            email: Email(host: host, port: port, from: from, to: to))
    }
}
