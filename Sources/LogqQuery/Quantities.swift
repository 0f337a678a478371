/// Durations and sizes as people write them, in queries and in the configuration alike.
public enum Quantities {
    /// `500ms`, `30s`, `15m`, `2h`, `7d`, `1w` in nanoseconds; nil for anything else or zero.
    public static func nanoseconds(_ text: String) -> Int64? {
        let units: [(String, Int64)] = [
            ("ms", 1_000_000), ("s", 1_000_000_000), ("m", 60_000_000_000), ("h", 3_600_000_000_000),
            ("d", 86_400_000_000_000), ("w", 604_800_000_000_000),
        ]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            guard let amount = Int64(text.dropLast(suffix.count)), amount > 0, amount < Int64.max / scale else {
                continue
            }
            return amount * scale
        }
        return nil
    }

    /// `512`, `10KB`, `10KiB`, `500MB`, `50GiB`, `1TiB` in bytes (KB = 1000, KiB = 1024); nil otherwise.
    public static func bytes(_ text: String) -> Int64? {
        let units: [(String, Int64)] = [
            ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("TiB", 1 << 40),
            ("KB", 1_000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("TB", 1_000_000_000_000), ("B", 1),
        ]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            guard let amount = Int64(text.dropLast(suffix.count)), amount >= 0, amount <= Int64.max / scale else {
                return nil
            }
            return amount * scale
        }
        return Int64(text).flatMap { $0 >= 0 ? $0 : nil }
    }
}

extension Quantities {
    static let durationUnits: [(String, Double)] = [
        ("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400),
        ("w", 604_800),
    ]
    static let sizeUnits: [(String, Double)] = [
        ("KiB", 1024), ("MiB", 1_048_576), ("GiB", 1_073_741_824), ("TiB", 1_099_511_627_776), ("KB", 1e3), ("MB", 1e6),
        ("GB", 1e9), ("TB", 1e12), ("B", 1),
    ]

    /// `1.5s`, `297ms`, `2m`, `100us` in seconds (fractions allowed); nil for anything else.
    public static func seconds(_ text: String) -> Double? { scaled(text, durationUnits) }

    /// `10KiB`, `1.5GB`, `512B` in bytes (fractions allowed); nil for anything else.
    public static func byteCount(_ text: String) -> Double? { scaled(text, sizeUnits) }

    private static func scaled(_ text: String, _ units: [(String, Double)]) -> Double? {
        // Longest suffix first is implied by the tables' order where it matters (ms before s, KiB before B).
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            let number = text.dropLast(suffix.count)
            guard !number.isEmpty, let value = Double(number), value.isFinite else { continue }
            return value * scale
        }
        return nil
    }

    /// The scale of a numeric duration field, from its name: `took_ms` holds milliseconds, `latency_us`
    /// microseconds, `elapsed_ns` nanoseconds; anything else seconds (`request_time`).
    static func secondsPerUnit(ofField name: String) -> Double {
        let lower = name.lowercased()
        if lower.hasSuffix("_ms") || lower.hasSuffix("millis") || lower.hasSuffix("ms") && lower.count > 2 {
            return 1e-3
        }
        if lower.hasSuffix("_us") || lower.hasSuffix("micros") { return 1e-6 }
        if lower.hasSuffix("_ns") || lower.hasSuffix("nanos") { return 1e-9 }
        return 1
    }
}
