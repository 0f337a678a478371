/// What one rule saw of one key in one bucket of event time.
struct BucketStats: Sendable {
    var count = 0
    /// Records matching a ratio rule's `of` query.
    var denominator = 0
    /// Values of a quantile rule's field, in logarithmic bins (see `ValueBins`).
    var bins: [Int32: Int32] = [:]

    mutating func merge(_ other: BucketStats) {
        count += other.count
        denominator += other.denominator
        for (bin, number) in other.bins { bins[bin, default: 0] += number }
    }
}

/// Values kept as counts in bins 1 % wide, so that a window's quantile needs memory bounded by the range
/// of values, not by how many there were. A quantile read back is within 1 % of the true value.
enum ValueBins {
    private static let logBase = log(1.01)

    static func bin(_ value: Double) -> Int32 {
        guard value > 0 else { return Int32.min }
        return Int32((log(value) / logBase).rounded(.down))
    }

    /// The upper edge of a bin, so that "above N" is never claimed for values all below N.
    static func value(_ bin: Int32) -> Double {
        bin == Int32.min ? 0 : exp(Double(bin) * logBase)
    }

    static func quantile(_ q: Double, of bins: [Int32: Int32]) -> (value: Double, count: Int)? {
        let total = bins.values.reduce(0) { $0 + Int($1) }
        guard total > 0 else { return nil }
        let rank = Int((q * Double(total)).rounded(.up))
        var seen = 0
        for bin in bins.keys.sorted() {
            seen += Int(bins[bin]!)
            if seen >= max(1, rank) { return (value(bin), total) }
        }
        return nil
    }
}

/// A key's buckets of event time, dropped once older than anything a window can reach.
struct WindowBuckets: Sendable {
    private(set) var buckets: [Int64: BucketStats] = [:]

    mutating func update(bucket: Int64, _ change: (inout BucketStats) -> Void) {
        change(&buckets[bucket, default: BucketStats()])
    }

    /// The sum of the buckets in `[first, last]`.
    func total(from first: Int64, through last: Int64) -> BucketStats {
        var sum = BucketStats()
        if Int64(buckets.count) < last - first + 1 {
            for (index, stats) in buckets where index >= first && index <= last { sum.merge(stats) }
        } else {
            for index in first...last { if let stats = buckets[index] { sum.merge(stats) } }
        }
        return sum
    }

    mutating func drop(before first: Int64) {
        buckets = buckets.filter { $0.key >= first }
    }

    var isEmpty: Bool { buckets.isEmpty }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
