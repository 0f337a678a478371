import Foundation

/// The zone a zone-less timestamp (logback, syslog, MySQL) is read in: UTC, a fixed offset, or a named
/// IANA zone with its daylight-saving transitions.
///
/// Named zones are turned into a table of transitions once, so reading a timestamp never calls into
/// Foundation: the hot path is a binary search over a few hundred integers.
public struct TimeZoneRule: Sendable, Equatable, CustomStringConvertible {
    public let identifier: String
    /// UTC instants (seconds) at which the offset changes, ascending, and the offset from each on.
    private let transitions: [Int64]
    private let offsets: [Int64]
    private let initialOffset: Int64

    public static let utc = TimeZoneRule(identifier: "UTC", fixedOffset: 0)

    /// The machine's zone, for the CLI.
    public static var current: TimeZoneRule {
        TimeZoneRule(identifier: TimeZone.current.identifier) ?? .utc
    }

    private init(identifier: String, fixedOffset: Int64) {
        self.init(identifier: identifier, initialOffset: fixedOffset, transitions: [], offsets: [])
    }

    private init(identifier: String, initialOffset: Int64, transitions: [Int64], offsets: [Int64]) {
        self.identifier = identifier
        self.initialOffset = initialOffset
        self.transitions = transitions
        self.offsets = offsets
    }

    /// `UTC`, `Z`, an offset (`+08:00`, `-0500`) or an IANA name (`Asia/Shanghai`); nil when unknown.
    public init?(identifier: String) {
        let trimmed = identifier.trimmingCharacters(in: .whitespaces)
        if ["utc", "z", "gmt"].contains(trimmed.lowercased()) {
            self = .utc
            return
        }
        if let offset = Self.parseOffset(trimmed) {
            self.init(identifier: trimmed, fixedOffset: offset)
            return
        }
        guard trimmed.contains("/") || trimmed.count > 2, let zone = TimeZone(identifier: trimmed) else { return nil }
        let start = Date(timeIntervalSince1970: 0)
        var instants: [Int64] = []
        var after: [Int64] = []
        var cursor = start
        let end = Date(timeIntervalSince1970: 4_102_444_800)  // 2100-01-01
        while let next = zone.nextDaylightSavingTimeTransition(after: cursor), next < end {
            instants.append(Int64(next.timeIntervalSince1970.rounded()))
            after.append(Int64(zone.secondsFromGMT(for: next)))
            cursor = next
        }
        self.init(
            identifier: trimmed, initialOffset: Int64(zone.secondsFromGMT(for: start)), transitions: instants,
            offsets: after)
    }

    /// `+08:00`, `-0500`, `+8`.
    static func parseOffset(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 2, bytes[0] == UInt8(ascii: "+") || bytes[0] == UInt8(ascii: "-") else { return nil }
        let digits = bytes.dropFirst().filter { $0 != UInt8(ascii: ":") }
        guard !digits.isEmpty, digits.count <= 4, digits.allSatisfy({ $0 &- UInt8(ascii: "0") < 10 }) else {
            return nil
        }
        let value = digits.reduce(0) { $0 * 10 + Int64($1 - UInt8(ascii: "0")) }
        let (hours, minutes) = digits.count <= 2 ? (value, Int64(0)) : (value / 100, value % 100)
        guard hours <= 18, minutes < 60 else { return nil }
        return (bytes[0] == UInt8(ascii: "-") ? -1 : 1) * (hours * 3600 + minutes * 60)
    }

    /// Seconds east of UTC at a UTC instant.
    public func offset(atUTC seconds: Int64) -> Int64 {
        guard !transitions.isEmpty, seconds >= transitions[0] else { return initialOffset }
        var low = 0
        var high = transitions.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if transitions[middle] <= seconds { low = middle } else { high = middle - 1 }
        }
        return offsets[low]
    }

    /// The UTC instant of a local wall-clock time. In a spring-forward gap the time is read with the
    /// offset before the change; in a fall-back overlap, as the first of the two instants.
    public func utcSeconds(fromLocal local: Int64) -> Int64 {
        if transitions.isEmpty { return local - initialOffset }
        let before = offset(atUTC: local - initialOffset - 86_400)
        let guess = local - offset(atUTC: local - before)
        if offset(atUTC: guess) == local - guess { return guess }
        return local - before
    }

    public var description: String { identifier }

    public static func == (lhs: TimeZoneRule, rhs: TimeZoneRule) -> Bool { lhs.identifier == rhs.identifier }
}
