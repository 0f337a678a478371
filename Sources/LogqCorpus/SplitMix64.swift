/// A small seeded generator: the same seed gives the same corpus on every machine and Swift version
/// (the standard library's generator is not seedable).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in `0..<bound`, by multiply-shift (no modulo bias worth caring about for test data).
    mutating func below(_ bound: Int) -> Int {
        Int((UInt64(bound).multipliedFullWidth(by: next())).high)
    }

    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }

    /// True with probability `percent`/100.
    mutating func chance(_ percent: Double) -> Bool { Double(next() >> 11) / Double(1 << 53) * 100 < percent }

    mutating func digits(_ count: Int) -> String {
        String((0..<count).map { _ in Character(Unicode.Scalar(UInt8(48 + below(10)))) })
    }

    mutating func hex(_ count: Int) -> String {
        let alphabet = Array("0123456789abcdef")
        return String((0..<count).map { _ in alphabet[below(16)] })
    }
}
