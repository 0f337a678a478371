import Foundation
import LogqQuery

extension ServerConfiguration {
    mutating func apply(retention section: [String: Any], problems: inout [String]) {
        var policy = RetentionPolicy()
        for (key, value) in section {
            switch key {
            case "default":
                if let seconds = Self.seconds(value) {
                    policy.defaultKeepSeconds = seconds
                } else {
                    problems.append("retention.default: must be a duration such as 90d, 12h or 2w")
                }
            case "max_disk":
                if let text = Self.text(value), let bytes = Quantities.bytes(text), bytes > 0 {
                    policy.maxDiskBytes = bytes
                } else {
                    problems.append("retention.max_disk: must be a size such as 50GiB or 500MB")
                }
            case "check_interval":
                if let seconds = Self.seconds(value) {
                    policy.checkIntervalSeconds = seconds
                } else {
                    problems.append("retention.check_interval: must be a duration such as 10m")
                }
            case "rules":
                guard let list = value as? [[String: Any]] else {
                    problems.append("retention.rules: must be a list of { match: QUERY, keep: DURATION }")
                    continue
                }
                for (index, entry) in list.enumerated() {
                    let name = "retention.rules[\(index)]"
                    guard Set(entry.keys) == ["match", "keep"], let match = entry["match"] as? String else {
                        problems.append("\(name): must have exactly match: QUERY and keep: DURATION")
                        continue
                    }
                    guard let keep = Self.seconds(entry["keep"] as Any) else {
                        problems.append("\(name).keep: must be a duration such as 7d or 365d")
                        continue
                    }
                    do {
                        let query = try Query.parse(match)
                        guard !match.contains("_time") else {
                            problems.append("\(name).match: a retention rule cannot filter on _time; keep is the age")
                            continue
                        }
                        policy.rules.append(RetentionPolicy.Rule(match: match, query: query, keepSeconds: keep))
                    } catch {
                        problems.append("\(name).match: \(error.message) at position \(error.position) of '\(match)'")
                    }
                }
            default:
                problems.append("retention.\(key): unknown key (known: default, rules, max_disk, check_interval)")
            }
        }
        retention = policy
    }

    mutating func apply(backup section: [String: Any], problems: inout [String]) {
        guard let directory = section["dir"] as? String, !directory.isEmpty else {
            problems.append("backup.dir: required, a folder for the backups (a local path or a mounted share)")
            return
        }
        var policy = BackupPolicy(directory: directory)
        for (key, value) in section {
            switch key {
            case "dir": break
            case "at":
                let parts = (Self.text(value) ?? "").split(separator: ":")
                guard parts.count == 2, let hour = Int(parts[0]), let minute = Int(parts[1]), (0..<24).contains(hour),
                    (0..<60).contains(minute)
                else {
                    problems.append("backup.at: must be a time of day HH:MM, such as \"02:00\"")
                    continue
                }
                policy.hour = hour
                policy.minute = minute
            case "time_zone":
                if let zone = value as? String, TimeZone(identifier: zone) != nil {
                    policy.timeZone = zone
                } else {
                    problems.append("backup.time_zone: must be an IANA zone such as Asia/Shanghai or UTC")
                }
            case "keep":
                if let seconds = Self.seconds(value) {
                    policy.keepSeconds = seconds
                } else {
                    problems.append("backup.keep: must be a duration such as 90d")
                }
            case "verify":
                if let text = value as? String, let schedule = BackupPolicy.VerifySchedule(rawValue: text) {
                    policy.verify = schedule
                } else {
                    problems.append("backup.verify: must be daily, weekly or off")
                }
            case "rate_limit":
                if let text = Self.text(value),
                    let bytes = Quantities.bytes(text.replacingOccurrences(of: "/s", with: "")),
                    bytes > 0
                {
                    policy.bytesPerSecond = bytes
                } else {
                    problems.append("backup.rate_limit: must be a size per second such as 100MiB/s")
                }
            default:
                problems.append("backup.\(key): unknown key (known: dir, at, time_zone, keep, verify, rate_limit)")
            }
        }
        backup = policy
    }

    private static func text(_ value: Any) -> String? {
        if let text = value as? String { return text }
        if let number = value as? Int { return String(number) }
        return nil
    }

    private static func seconds(_ value: Any) -> Int64? {
        guard let text = text(value), let nanoseconds = Quantities.nanoseconds(text), nanoseconds >= 1_000_000_000
        else {
            return nil
        }
        return nanoseconds / 1_000_000_000
    }
}
