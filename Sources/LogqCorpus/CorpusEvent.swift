/// One generated event, in a form that renders both as a JSON line and as the source's native text.
public struct CorpusEvent: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case springBoot = "springboot"
        case nginxAccess = "nginx"
        case mysqlSlow = "mysql-slow"
        case pythonJSON = "python"
    }

    public enum Value: Sendable, Equatable {
        case string(String)
        case int(Int)
        case double(Double)
    }

    public var kind: Kind
    /// Nanoseconds since the epoch.
    public var timestamp: Int64
    public var service: String
    public var host: String
    /// Lower-case: trace, debug, info, warn, error.
    public var level: String
    /// The whole event, stack traces and multi-line statements included.
    public var message: String
    public var fields: [(String, Value)]
    /// The words of `CorpusGenerator.markerWords` this event's message holds; the counts are built from them.
    public var markerWords: Set<String>

    /// One JSON object on one line: what a python-logstash or Fluent Bit sender puts on TCP 5170.
    public func jsonLine() -> String {
        var out = "{\"@timestamp\":\"" + CorpusTime.rfc3339(timestamp) + "\""
        out += ",\"level\":\"" + level.uppercased() + "\",\"service\":" + quoted(service)
        out += ",\"host\":" + quoted(host) + ",\"message\":" + quoted(message)
        for (name, value) in fields {
            out += "," + quoted(name) + ":"
            switch value {
            case .string(let text): out += quoted(text)
            case .int(let number): out += String(number)
            case .double(let number): out += String(format3: number)
            }
        }
        return out + "}"
    }

    private func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

extension String {
    /// Three decimals, as loggers print seconds (`0.123`), without Foundation's formatter.
    init(format3 value: Double) {
        let thousandths = Int((value * 1000).rounded())
        let whole = thousandths / 1000
        let fraction = String(thousandths % 1000)
        self = "\(whole)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}

enum CorpusTime {
    static func civil(
        _ timestamp: Int64
    ) -> (year: Int64, month: Int64, day: Int64, hour: Int64, minute: Int64, second: Int64, millis: Int64) {
        let seconds = timestamp / 1_000_000_000
        let millis = (timestamp / 1_000_000) % 1000
        let days = seconds / 86_400
        var rest = seconds % 86_400
        let hour = rest / 3600
        rest %= 3600
        let z = days + 719_468
        let era = z / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day, hour, rest / 60, rest % 60, millis)
    }

    static func pad(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }

    /// `2026-11-23T09:41:07.123Z`
    static func rfc3339(_ timestamp: Int64) -> String {
        let c = civil(timestamp)
        return
            "\(pad(c.year, 4))-\(pad(c.month, 2))-\(pad(c.day, 2))T\(pad(c.hour, 2)):\(pad(c.minute, 2)):\(pad(c.second, 2)).\(pad(c.millis, 3))Z"
    }

    /// Logback's default: `2026-11-23 09:41:07.123`
    static func logback(_ timestamp: Int64) -> String {
        let c = civil(timestamp)
        return
            "\(pad(c.year, 4))-\(pad(c.month, 2))-\(pad(c.day, 2)) \(pad(c.hour, 2)):\(pad(c.minute, 2)):\(pad(c.second, 2)).\(pad(c.millis, 3))"
    }

    /// nginx's `$time_local`: `23/Nov/2026:09:41:07 +0000`
    static func nginx(_ timestamp: Int64) -> String {
        let c = civil(timestamp)
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        return
            "\(pad(c.day, 2))/\(months[Int(c.month) - 1])/\(c.year):\(pad(c.hour, 2)):\(pad(c.minute, 2)):\(pad(c.second, 2)) +0000"
    }
}
