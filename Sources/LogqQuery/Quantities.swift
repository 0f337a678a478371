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
